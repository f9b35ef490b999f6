package mcp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// TestBadArgumentsSaySoPlainly passes each tool arguments that are missing,
// of the wrong type or out of range: each answer is a tool error, one
// sentence naming the parameter, with nothing of Go's or the schema
// library's notation in it.
func TestBadArgumentsSaySoPlainly(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", MaxWait: 50 * time.Millisecond})
	c, _ := connect(t, srv)
	tests := []struct {
		tool  string
		args  map[string]any
		param string
	}{
		{"register", map[string]any{}, "instance_id"},
		{"register", map[string]any{"instance_id": 5}, "instance_id"},
		{"register", map[string]any{"instance_id": "no spaces"}, "instance_id"},
		{"send", map[string]any{"from_id": "alice", "to_id": "bob"}, "content"},
		{"send", map[string]any{"from_id": "alice", "content": "x"}, "to_id"},
		{"send", map[string]any{"to_id": "bob", "content": "x"}, "from_id"},
		{"send", map[string]any{"from_id": "alice", "to_id": "bob", "content": 7}, "content"},
		{"send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "x", "data": "text"}, "data"},
		{"send", map[string]any{"from_id": "alice", "to_id": "bob smith", "content": "x"}, "to_id"},
		{"broadcast", map[string]any{"from_id": "alice"}, "content"},
		{"check", map[string]any{"instance_id": []any{"alice"}}, "instance_id"},
		{"rename", map[string]any{"old_id": "alice", "new_id": "a/b"}, "new_id"},
		{"rename", map[string]any{"old_id": "alice"}, "new_id"},
		{"share_file", map[string]any{"from_id": "alice", "to_id": "bob"}, "filepath"},
		{"share_file", map[string]any{"from_id": "alice", "to_id": "bob", "filepath": "/etc/hostname", "description": true}, "description"},
		{"share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": 3}, "command"},
		{"auto_process", map[string]any{}, "instance_id"},
		{"reply", map[string]any{"content": "x"}, "message_id"},
		{"reply", map[string]any{"message_id": "abcdef123456"}, "content"},
		{"wait", map[string]any{"timeout_seconds": "soon"}, "timeout_seconds"},
		{"wait", map[string]any{"timeout_seconds": -1}, "timeout_seconds"},
		{"search", map[string]any{}, "query"},
		{"search", map[string]any{"query": "x", "limit": 0}, "limit"},
		{"search", map[string]any{"query": "x", "limit": "ten"}, "limit"},
	}
	for _, tt := range tests {
		got := mustFail(t, c, tt.tool, tt.args, tt.param)
		for _, junk := range []string{"&{", "schema", "Got:", "Want:", "<root>"} {
			if strings.Contains(got, junk) {
				t.Errorf("%s(%v): %q is not a plain sentence", tt.tool, tt.args, got)
				break
			}
		}
		if strings.Count(strings.TrimSuffix(got, "."), ". ") > 0 || !strings.HasSuffix(got, ".") {
			t.Errorf("%s(%v): %q is not one sentence", tt.tool, tt.args, got)
		}
	}
	// A wait longer than the server allows is cut to its limit, not refused.
	res := call(t, c, "wait", map[string]any{"timeout_seconds": 1e9})
	if res.IsError || !strings.Contains(text(res), "within 50ms") {
		t.Errorf("wait beyond the limit: %q", text(res))
	}
}

// TestShareCommandCancelledSendsNothing cancels a share_command while its
// command runs: nothing is sent, and the answer says so.
func TestShareCommandCancelledSendsNothing(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice"})
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(100*time.Millisecond, cancel)
	defer timer.Stop()
	res, err := srv.toolShareCommand(ctx, toolRequest("share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": "sleep 30"}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(text(res), "Cancelled; nothing was sent") {
		t.Errorf("cancelled share_command answered %q", text(res))
	}
	bob, err := sp.Mailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := bob.Unread(); n != 0 {
		t.Errorf("bob got %d messages from a cancelled command", n)
	}
}

// TestInboxOfInvalidNameNotFound reads inboxes of names that cannot exist:
// the answer is "resource not found", not an internal error.
func TestInboxOfInvalidNameNotFound(t *testing.T) {
	srv := startServer(t, openSpool(t, testConfig()), Options{})
	c, _ := connect(t, srv)
	for _, name := range []string{"..", ".", strings.Repeat("x", 33), "bad%20name"} {
		_, err := c.ReadResource(context.Background(), mcpgo.ReadResourceRequest{Params: mcpgo.ReadResourceParams{URI: inboxURI(name)}})
		if !errors.Is(err, mcpgo.ErrResourceNotFound) {
			t.Errorf("read %s: %v, want resource not found", inboxURI(name), err)
		}
	}
}

// TestRegisterCountsWaitingMail checks the sentence register ends with.
func TestRegisterCountsWaitingMail(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{})
	c, _ := connect(t, srv)
	send(t, sp.Root, "bob", "alice", "one", "")
	if got := mustOK(t, c, "register", map[string]any{"instance_id": "alice"}); !strings.Contains(got, "1 message waiting: call check to read it.") {
		t.Errorf("register with one message waiting: %q", got)
	}
	send(t, sp.Root, "bob", "carol", "one", "")
	send(t, sp.Root, "bob", "carol", "two", "")
	if got := mustOK(t, c, "register", map[string]any{"instance_id": "carol"}); !strings.Contains(got, "2 messages waiting: call check to read them.") {
		t.Errorf("register with two messages waiting: %q", got)
	}
}

// TestErrorSentences holds tool errors to one sentence each: a reason
// inside another sentence loses its own capital and full stop.
func TestErrorSentences(t *testing.T) {
	_, _, c, _ := asAlice(t)
	got := mustFail(t, c, "reply", map[string]any{"message_id": "nonexistent", "content": "x"}, "nonexistent")
	if strings.Contains(got, ".;") || strings.Contains(got, "..") || strings.Count(got, ".") != 1 || !strings.HasSuffix(got, "pushed events.") {
		t.Errorf("reply to an unknown id: %q is not one sentence", got)
	}
}
