package mcpserver

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Member and field find what json.Unmarshal finds, into a map and into a
// struct field, as slices of the message.
func TestMemberAgreesWithUnmarshal(t *testing.T) {
	for _, obj := range []string{
		`{"params":{"a":"}\"{"},"x":1}`,
		`{"x":"\\","params":[1,{"b":"]"}]}`,
		`{ "params" : 12 , "y" : true }`,
		`{"Params":1,"params":2}`,
		`{"params":2,"PARAMS":3}`,
		`{"par\u0061ms":"v","other":"params"}`,
		`{"a":{"params":1}}`,
		`{}`, `[]`, `"params"`, `{"params":null}`,
		`{"s":"\\\\\"","params":"ok \\\" still"}`,
		"{\n\t\"params\"\t:\r\n -1.5e3\n}",
	} {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(obj), &m)
		for _, key := range []string{"params", "Params", "x", "other"} {
			if got, want := Member([]byte(obj), key), m[key]; !bytes.Equal(got, want) {
				t.Errorf("Member(%s, %q) = %s, want %s", obj, key, got, want)
			}
		}
		var st struct {
			Params json.RawMessage `json:"params"`
		}
		_ = json.Unmarshal([]byte(obj), &st)
		if got := field([]byte(obj), "params"); !bytes.Equal(got, st.Params) {
			t.Errorf("field(%s, params) = %s, want %s", obj, got, st.Params)
		}
		rest, v := without([]byte(obj), "params")
		if v != nil && !json.Valid(rest) {
			t.Errorf("without(%s) = %s, not JSON", obj, rest)
		}
	}
	big := []byte(`{"name":"send","arguments":{"content":"` + strings.Repeat("x", 1<<20) + `"}}`)
	if args := field(big, "arguments"); &args[0] != &big[len(`{"name":"send","arguments":`)] {
		t.Error("field copied the value instead of pointing into the message")
	}
	if rest, _ := without(big, "arguments"); string(rest) != `{"name":"send","arguments":null}` {
		t.Errorf("without = %s", rest)
	}
}
