package spool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// age sets cur/'s modification time an hour back, as it is in a mailbox
// nobody has touched for a while.
func age(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
}

func readIndex(t *testing.T, s *Spool, name string) (unseenIndex, bool) {
	t.Helper()
	b, err := os.ReadFile(s.unseenPath(name))
	if err != nil {
		return unseenIndex{}, false
	}
	return parseUnseen(b)
}

func TestUnseenIndexRoundTrip(t *testing.T) {
	in := unseenIndex{leader: Holder{PID: 42, Since: time.Unix(1700000000, 5).UTC()}, stamp: 77, names: []string{"a:2,", "b:2,F"}}
	out, ok := parseUnseen(in.marshal())
	if !ok || out.leader != in.leader || out.stamp != in.stamp || !slices.Equal(out.names, in.names) {
		t.Fatalf("round trip: %+v, %v; want %+v", out, ok, in)
	}
	whole := in.marshal()
	for _, bad := range [][]byte{whole[:len(whole)-4], []byte("ipc-unseen 2\nleader 0 0\nstamp 0\nend\n"), append([]byte(nil), "x"...),
		[]byte("ipc-unseen 1\nleader 0 0\nstamp 0\n../x\nend\n")} {
		if _, ok := parseUnseen(bad); ok {
			t.Errorf("parseUnseen(%q) accepted", bad)
		}
	}
}

// TestUnseenIndexStamped: without a leader, a listing of a cur/ that has
// not changed for a while is written with cur/'s time, trusted while the
// time stays, and not trusted once cur/ changes.
func TestUnseenIndexStamped(t *testing.T) {
	s := openTest(t)
	placeMessage(t, s, "cur", "0000000000d1", ":2,S")
	k2 := placeMessage(t, s, "cur", "0000000000d2", ":2,F")
	mb := mustMailbox(t, s, "b")
	age(t, mb.CurDir())
	if n, err := mb.Unread(); err != nil || n != 1 {
		t.Fatalf("Unread = %d, %v; want 1", n, err)
	}
	ix, ok := readIndex(t, s, "b")
	if !ok || ix.stamp == 0 || !slices.Equal(ix.names, []string{k2 + ":2,F"}) {
		t.Fatalf("index after a listing = %+v, %v", ix, ok)
	}
	if _, trusted := mb.trustedIndex(); !trusted {
		t.Fatal("index of an unchanged cur/ not trusted")
	}
	// A client moves a message into cur/ unread: cur/'s time changes, the
	// index is not trusted, and the message is counted.
	k3 := placeMessage(t, s, "new", "0000000000d3", "")
	if err := os.Rename(filepath.Join(mb.NewDir(), k3), filepath.Join(mb.CurDir(), k3+":2,")); err != nil {
		t.Fatal(err)
	}
	if _, trusted := mb.trustedIndex(); trusted {
		t.Fatal("index trusted after cur/ changed")
	}
	if n, _ := mb.Unread(); n != 2 {
		t.Fatalf("Unread = %d after a client moved mail to cur/, want 2", n)
	}
	// Just changed: the listing is not stamped (a change in the same clock
	// tick would leave the time as it is), so it is not trusted either.
	if ix, ok := readIndex(t, s, "b"); ok && ix.stamp != 0 {
		if m, _ := mtimeNano(mb.CurDir()); m == ix.stamp {
			t.Errorf("a listing of a cur/ changed just now was stamped with its time")
		}
	}
}

// TestUnseenIndexIsUsed shows a trusted index is what readers go by (cur/
// is not listed): a file the index does not name is not counted, and a
// file it names that is gone is not counted either.
func TestUnseenIndexIsUsed(t *testing.T) {
	s := openTest(t)
	k1 := placeMessage(t, s, "cur", "0000000000e1", ":2,")
	placeMessage(t, s, "cur", "0000000000e2", ":2,")
	mb := mustMailbox(t, s, "b")
	age(t, mb.CurDir())
	m, _ := mtimeNano(mb.CurDir())
	ix := unseenIndex{stamp: m, names: []string{k1 + ":2,", "gone:2,"}}
	if err := s.writeUnseen("b", ix); err != nil {
		t.Fatal(err)
	}
	if n, _ := mb.Unread(); n != 1 {
		t.Fatalf("Unread = %d; want the 1 file the trusted index names and that exists", n)
	}
}

// leadKeepingUnseen makes s's leader and its unseen keeper, with the
// index of name built.
func leadKeepingUnseen(t *testing.T, s *Spool, name string) (*Leadership, *UnseenKeeper) {
	t.Helper()
	l, ok, err := s.TryLead()
	if err != nil || !ok {
		t.Fatalf("TryLead = %v, %v", ok, err)
	}
	k := s.KeepUnseen(l.Info)
	if err := k.Rebuild(name); err != nil {
		l.Release()
		t.Fatal(err)
	}
	return l, k
}

// TestUnseenKeeper is the leader's side: its index is trusted while it
// leads, follows what it is told, and is dropped when it stops leading.
func TestUnseenKeeper(t *testing.T) {
	s := openTest(t)
	placeMessage(t, s, "cur", "0000000000f1", ":2,")
	mb := mustMailbox(t, s, "b")
	l, k := leadKeepingUnseen(t, s, "b")
	defer l.Release()
	if _, trusted := mb.trustedIndex(); !trusted {
		t.Fatal("the live leader's index is not trusted")
	}
	// Another client moves a message to cur/; until the leader hears of it
	// the index does not show it (readers trust the leader's index).
	k2 := placeMessage(t, s, "new", "0000000000f2", "")
	if err := os.Rename(filepath.Join(mb.NewDir(), k2), filepath.Join(mb.CurDir(), k2+":2,")); err != nil {
		t.Fatal(err)
	}
	if n, _ := mb.Unread(); n != 1 {
		t.Fatalf("Unread = %d before the leader noted the move; the index was not used", n)
	}
	k.Note("b", k2+":2,")
	if err := k.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _ := mb.Unread(); n != 2 {
		t.Fatalf("Unread = %d after the leader noted the move, want 2", n)
	}
	// ipc reads one; the index still names it under its old name, and the
	// reader's check of each name leaves it out.
	got, err := mb.Check(CheckOptions{Limit: 1})
	if err != nil || len(got) != 1 || got[0].ID != "0000000000f1" {
		t.Fatalf("Check = %v, %v", ids(got), err)
	}
	if n, _ := mb.Unread(); n != 1 {
		t.Fatalf("Unread = %d after one was read, want 1", n)
	}
	k.Note("b", filepath.Base(got[0].Path)) // the watcher filters these; a Note must cope anyway
	if err := k.Flush(); err != nil {
		t.Fatal(err)
	}
	if ix, _ := readIndex(t, s, "b"); !slices.Equal(ix.names, []string{k2 + ":2,"}) {
		t.Errorf("index after Flush = %v, want only %s", ix.names, k2)
	}
	// The leader goes: its index is trusted no more.
	l.Release()
	if _, trusted := mb.trustedIndex(); trusted {
		t.Fatal("index of a leader that is gone still trusted")
	}
	if n, _ := mb.Unread(); n != 1 {
		t.Fatalf("Unread = %d without a leader, want 1", n)
	}
}

func TestUnreadName(t *testing.T) {
	for name, want := range map[string]bool{"k:2,": true, "k:2,F": true, "k": true, "k:2,S": false, "k:2,FS": false, ".k:2,": false} {
		if got := UnreadName(name); got != want {
			t.Errorf("UnreadName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestUnseenKeeperNeverLooksThroughALink: a link in place of cur/ when the
// leader flushes or rebuilds an index is refused: the index it signs is
// never made from another directory's files (which would leave out the
// mailbox's own unread files, and readers trust the leader's index).
func TestUnseenKeeperNeverLooksThroughALink(t *testing.T) {
	s := openTest(t)
	k1 := placeMessage(t, s, "new", "0000000000f1", "")
	mb := mustMailbox(t, s, "b")
	l, k := leadKeepingUnseen(t, s, "b")
	defer l.Release()
	if err := os.Rename(filepath.Join(mb.NewDir(), k1), filepath.Join(mb.CurDir(), k1+":2,")); err != nil {
		t.Fatal(err)
	}
	k.Note("b", k1+":2,")
	other := filepath.Join(t.TempDir(), "cur")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(mb.Dir, ".cur")
	if err := os.Rename(mb.CurDir(), aside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, mb.CurDir()); err != nil {
		t.Fatal(err)
	}
	if err := k.Flush(); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Flush with a link for cur/ = %v, want ErrUnsafe", err)
	}
	if err := k.Rebuild("b"); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Rebuild with a link for cur/ = %v, want ErrUnsafe", err)
	}
	os.Remove(mb.CurDir())
	if err := os.Rename(aside, mb.CurDir()); err != nil {
		t.Fatal(err)
	}
	if err := k.Flush(); err != nil { // still to be written
		t.Fatal(err)
	}
	if n, _ := mb.Unread(); n != 1 {
		t.Errorf("Unread = %d, want 1: the index left out the mailbox's own unread file", n)
	}
}
