package mcp

import (
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// TestSendWaitFor checks the send tool's wait_for: it returns once the
// recipient read the message, saying so, and says how far it got when the
// time runs out.
func TestSendWaitFor(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	bob, err := sp.EnsureMailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	go func() { // bob reads it once it is there
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if msgs, _ := bob.Check(spool.CheckOptions{}); len(msgs) > 0 {
				return
			}
		}
	}()
	res := call(t, c, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "read me", "wait_for": "read", "timeout_seconds": 20})
	var got struct {
		Progress []spool.Progress `json:"progress"`
		Reached  bool             `json:"reached"`
	}
	structured(t, res, &got)
	if !got.Reached || len(got.Progress) != 1 || got.Progress[0].State != spool.Read || !strings.Contains(text(res), "bob: read") {
		t.Errorf("send wait_for read: %+v %q", got, text(res))
	}

	res = call(t, c, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "answer me", "wait_for": "replied", "timeout_seconds": 0.3})
	structured(t, res, &got)
	if got.Reached || got.Progress[0].State != spool.Stored || !strings.Contains(text(res), "Not replied within 300ms") {
		t.Errorf("send wait_for replied, never replied: %+v %q", got, text(res))
	}
	mustFail(t, c, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "x", "wait_for": "delivered"}, "wait_for")
}
