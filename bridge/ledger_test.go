package bridge

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDeliverOnceWithoutLedger delivers a message, loses the ledger entry
// (a crash between the delivery and the entry) and is offered the
// message again: it is found in the mailbox by its file's name, kept
// once, and the entry is written. A message filed under another id is
// still delivered.
func TestDeliverOnceWithoutLedger(t *testing.T) {
	h := newHost(t, "nats://127.0.0.1:1", "hostb", noLimits())
	br, err := New(h.sp, h.cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: alice@hosta\nTo: bob@hostb\nMessage-ID: <0dea075ce1f8@hosta>\n\nhello\n")
	ledger := filepath.Join(h.sp.RemoteDir(), "seen")
	steps := []struct {
		id        string
		dropEntry bool
		fresh     bool
	}{
		{"0dea075ce1f8", false, true},
		{"0dea075ce1f8", false, false}, // by the ledger
		{"0dea075ce1f8", true, false},  // by the mailbox
		{"0dea075ce1f9", false, true},
	}
	for i, st := range steps {
		if st.dropEntry {
			if err := os.RemoveAll(ledger); err != nil {
				t.Fatal(err)
			}
		}
		fresh, err := br.deliverOnce("bob", st.id+"@hosta", st.id, raw)
		if err != nil || fresh != st.fresh {
			t.Fatalf("step %d: deliverOnce(%s) = %v, %v; want %v", i, st.id, fresh, err, st.fresh)
		}
	}
	if n := len(h.mail("bob")); n != 2 {
		t.Errorf("bob has %d messages, want 2", n)
	}
	if ents, _ := os.ReadDir(ledger); len(ents) != 2 {
		t.Errorf("ledger holds %d entries, want 2", len(ents))
	}
}
