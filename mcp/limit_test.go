package mcp

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// A stdio message over the request limit is refused while it is read,
// with a JSON-RPC error answering its id, and the session goes on: the
// send it carried delivers nothing.
func TestStdioLimitsRequest(t *testing.T) {
	defer func(n int64) { maxRequest = n }(maxRequest)
	maxRequest = 4096
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice"})
	inW, outR := serveStdioPipes(t, srv)
	lines := bufio.NewScanner(outR)
	answer := func(line string) (id string, code int) {
		t.Helper()
		if _, err := io.WriteString(inW, line+"\n"); err != nil {
			t.Fatal(err)
		}
		deadline := time.AfterFunc(wait, func() { outR.Close() })
		defer deadline.Stop()
		if !lines.Scan() {
			t.Fatal("no answer")
		}
		var r struct {
			ID    json.RawMessage
			Error *struct{ Code int }
		}
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			t.Fatalf("%q: %v", lines.Text(), err)
		}
		if r.Error != nil {
			code = r.Error.Code
		}
		return string(r.ID), code
	}
	if id, code := answer(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`); id != "1" || code != 0 {
		t.Fatalf("initialize: id %s, error %d", id, code)
	}
	big := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"send","arguments":{"from_id":"alice","to_id":"bob","content":"` + strings.Repeat("x", 8192) + `"}}}`
	if id, code := answer(big); id != "2" || code != -32600 {
		t.Errorf("a send over the limit: id %s, error %d, want -32600 answering id 2", id, code)
	}
	if id, code := answer(`{"jsonrpc":"2.0","id":3,"method":"ping"}`); id != "3" || code != 0 {
		t.Errorf("ping after: id %s, error %d", id, code)
	}
	if n := unread(t, sp, "bob"); n != 0 {
		t.Errorf("bob has %d messages from a refused send", n)
	}
}
