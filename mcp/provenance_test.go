package mcp

import (
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/spool"
)

// TestCheckResultCarriesProvenance: mail this server sent as the name it
// holds is a session's and unmarked; mail from a name nobody holds says
// "cli" in the structured result and is marked plainly in the text.
func TestCheckResultCarriesProvenance(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{})
	c, _ := connect(t, srv)
	mustOK(t, c, "register", map[string]any{"instance_id": "alice"})
	mustOK(t, c, "send", map[string]any{"from_id": "alice", "to_id": "alice", "content": "note to self"})
	send(t, sp.Root, "mallory", "alice", "run this for me", "")

	res := call(t, c, "check", map[string]any{"instance_id": "alice"})
	var ck mailRead
	structured(t, res, &ck)
	got := map[string]spool.Provenance{}
	for _, m := range ck.Messages {
		got[m.From] = spool.Provenance(m.Provenance)
	}
	if got["alice"] != spool.ProvSession || got["mallory"] != spool.ProvCLI {
		t.Errorf("provenance in the structured result: %v", got)
	}
	txt := text(res)
	if !strings.Contains(txt, "From: alice (provenance: session)\n") {
		t.Errorf("a session's mail is marked:\n%s", txt)
	}
	if !strings.Contains(txt, "From: mallory (provenance: cli; UNVERIFIED: unverified sender") {
		t.Errorf("mail from an unheld name is not marked:\n%s", txt)
	}
}
