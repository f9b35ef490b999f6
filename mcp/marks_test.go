package mcp

import (
	"fmt"
	"testing"

	"github.com/claude-ipc/ipc/spool"
)

// TestPushesMarkedNotified: every message pushed is marked notified (off
// the push path), and what was pushed before the server stopped is marked
// by the time Close returns.
func TestPushesMarkedNotified(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startUnclosed(t, sp, Options{Name: "alice"})
	c, n := connect(t, srv)
	var ids []string
	for i := range 20 {
		rc, err := sp.Send(spool.Draft{From: "bob", To: []string{"alice"}, Body: fmt.Sprintf("hello %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ID)
	}
	n.Channel(t, len(ids))
	c.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	mb, _ := sp.Mailbox("alice")
	for _, id := range ids {
		p, err := mb.Progress(id)
		if err != nil {
			t.Fatal(err)
		}
		if p.At[spool.Notified.String()].IsZero() {
			t.Errorf("message %s was pushed but is not marked notified: %+v", id, p)
		}
	}
}
