package spool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestTakeKeepsTheOrderGiven takes files in an order that is not the
// order of their names: they are marked read (new/ and cur/ alike),
// returned in the order given, and can be handed back; one another reader
// took meanwhile, read mail, and an entry of another mailbox are left out.
func TestTakeKeepsTheOrderGiven(t *testing.T) {
	s := openTest(t)
	mb := mustMailbox(t, s, "b")
	var ents []Entry
	for _, p := range []struct{ sub, id, info string }{
		{"new", "0000000000c3", ""},
		{"cur", "0000000000c1", ":2,F"},
		{"new", "0000000000c2", ""},
		{"new", "0000000000c4", ""},
		{"cur", "0000000000c5", ":2,S"},
	} {
		key := placeMessage(t, s, p.sub, p.id, p.info)
		ents = append(ents, Entry{Mailbox: "b", Dir: p.sub, Name: key + p.info})
	}
	// Another reader takes c4 first.
	c4 := filepath.Join(mb.NewDir(), ents[3].Name)
	if err := os.Rename(c4, filepath.Join(mb.CurDir(), ents[3].Name+":2,S")); err != nil {
		t.Fatal(err)
	}
	other := Entry{Mailbox: "x", Dir: "new", Name: ents[0].Name}

	taken, err := mb.Take(append(slices.Clone(ents), other))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Take of another mailbox's entry: %v, want ErrNotFound", err)
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
