package mcp

import (
	"strings"
	"testing"
)

// TestSearchTool searches mail of several mailboxes through the tool: the
// hits and their text, nothing marked read, a bad query refused in one
// sentence.
func TestSearchTool(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{})
	c, _ := connect(t, srv)
	send(t, sp.Root, "alice", "bob", "deploy v2 to staging", "")
	send(t, sp.Root, "carol", "dave", "deploy done", "")
	send(t, sp.Root, "alice", "dave", "lunch?", "")

	res := call(t, c, "search", map[string]any{"query": "deploy", "limit": 5})
	var f found
	structured(t, res, &f)
	if len(f.Hits) != 2 || f.Hits[0].From != "carol" || f.Hits[1].Mailbox != "bob" || !f.Hits[0].Unread {
		t.Errorf("hits %+v, want carol's then alice's, unread", f.Hits)
	}
	if txt := text(res); !strings.Contains(txt, "2 messages match") || !strings.Contains(txt, "in bob's mailbox, unread") {
		t.Errorf("text %q", txt)
	}
	if got := mustOK(t, c, "search", map[string]any{"query": "from:alice to:dave"}); !strings.Contains(got, "1 message match") || !strings.Contains(got, "lunch?") {
		t.Errorf("from:alice to:dave: %q", got)
	}
	if got := mustOK(t, c, "search", map[string]any{"query": "nothing-like-this"}); got != "No messages match (engine: scan)." {
		t.Errorf("no hits: %q", got)
	}
	if n := unread(t, sp, "dave"); n != 2 {
		t.Errorf("dave has %d unread after searches, want 2: search marks nothing read", n)
	}
	if got := mustFail(t, c, "search", map[string]any{"query": "is:flagged"}, "is:unread"); strings.Count(got, ". ") > 0 {
		t.Errorf("bad query: %q is not one sentence", got)
	}
}
