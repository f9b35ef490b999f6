package spool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestTakeKeepsTheOrderGiven takes messages read one by one, in an order
// that is not the order of their names: they are marked read (new/ and
// cur/ alike), returned in the order given, and can be handed back; one
// another reader took meanwhile and one of another mailbox are left out.
func TestTakeKeepsTheOrderGiven(t *testing.T) {
	s := openTest(t)
	mb := mustMailbox(t, s, "b")
	var msgs []*Message
	for _, p := range []struct{ sub, id, info string }{
		{"new", "0000000000c3", ""},
		{"cur", "0000000000c1", ":2,F"},
		{"new", "0000000000c2", ""},
		{"new", "0000000000c4", ""},
	} {
		key := placeMessage(t, s, p.sub, p.id, p.info)
		m, err := mb.ReadUnread(filepath.Join(mb.Dir, p.sub), key+p.info)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	// Another reader takes c4 first.
	if err := os.Rename(msgs[3].Path, filepath.Join(mb.CurDir(), entryAt(msgs[3].Path).key()+":2,S")); err != nil {
		t.Fatal(err)
	}
	other := *msgs[0]
	other.Path = filepath.Join(t.TempDir(), "new", filepath.Base(other.Path))

	taken, err := mb.Take(append(slices.Clone(msgs), &other))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Take of another mailbox's message: %v, want ErrNotFound", err)
	}
	if got, want := ids(taken), []string{"0000000000c3", "0000000000c1", "0000000000c2"}; !slices.Equal(got, want) {
		t.Fatalf("taken %v, want %v", got, want)
	}
	for _, m := range taken {
		if filepath.Dir(m.Path) != mb.CurDir() || !m.Flags.Has(FlagSeen) {
			t.Errorf("%s taken to %s, flags %q", m.ID, m.Path, m.Flags)
		}
	}
	if n, _ := mb.Unread(); n != 0 {
		t.Errorf("Unread = %d after Take, want 0", n)
	}
	if err := mb.Unclaim(taken); err != nil {
		t.Fatal(err)
	}
	if n, _ := mb.Unread(); n != 3 {
		t.Errorf("Unread = %d after Unclaim, want 3", n)
	}
}
