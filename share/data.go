package share

import (
	"bytes"
	"encoding/json"
	"strings"
)

// DataText is a message's data as a human view shows it. The output of a
// shared command and the content of a shared file are the message's text
// already: they are left out rather than shown twice. Other data is shown
// as it came.
func DataText(data json.RawMessage) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return string(data)
	}
	var typ string
	if json.Unmarshal(fields["type"], &typ) != nil || (typ != "command" && typ != "file") {
		return string(data)
	}
	for _, k := range []string{"stdout", "stderr", "content"} {
		delete(fields, k)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(fields) != nil {
		return string(data)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
