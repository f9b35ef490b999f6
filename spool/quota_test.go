package spool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// quotaSpool opens a spool whose mailboxes take two unread messages.
func quotaSpool(t *testing.T) *Spool {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MaxUnread = 2
	return openTest(t, WithConfig(cfg))
}

func fill(t *testing.T, s *Spool, name string) {
	t.Helper()
	for i := 0; i < 2; i++ {
		if _, err := s.Send(Draft{From: "a", To: []string{name}, Body: "filler"}); err != nil {
			t.Fatal(err)
		}
	}
}

func unreadOf(t *testing.T, s *Spool, name string) int {
	t.Helper()
	n, err := mustMailbox(t, s, name).Unread()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An outbox drop-in for a full mailbox waits in the outbox (for the full
// one only, when it has several recipients) and is delivered once, whole,
// when the reader has read some.
func TestQuotaDefersDropIns(t *testing.T) {
	s := quotaSpool(t)
	fill(t, s, "bob")
	dropFile(t, s, "one", msgText("0000000000a1", "bob@host", "for bob"))
	dropFile(t, s, "two", msgText("0000000000a2", "bob@host, carol@host", "for both"))
	for _, name := range []string{"one", "two"} {
		if _, err := s.RouteOutbox(name); !errors.Is(err, ErrQuota) {
			t.Errorf("route %s to a full mailbox: %v, want ErrQuota", name, err)
		}
		if !fileExists(filepath.Join(s.OutboxDir(), name)) {
			t.Fatalf("drop-in %s left the outbox while bob is full", name)
		}
	}
	if got := copies(t, s, "carol"); got["0000000000a2"] != 1 {
		t.Errorf("carol, who has room, has %v", got)
	}
	if n := unreadOf(t, s, "bob"); n != 2 {
		t.Errorf("bob has %d unread, over his limit of 2", n)
	}
	if _, err := mustMailbox(t, s, "bob").Check(CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"one", "two"} {
		if _, err := s.RouteOutbox(name); err != nil {
			t.Errorf("route %s once bob has read: %v", name, err)
		}
	}
	for name, want := range map[string]map[string]int{"bob": {"0000000000a1": 1, "0000000000a2": 1}, "carol": {"0000000000a2": 1}} {
		got := copies(t, s, name)
		for id, n := range want {
			if got[id] != n {
				t.Errorf("%s holds %s %d times, want %d", name, id, got[id], n)
			}
		}
	}
	if ents, _ := os.ReadDir(s.OutboxDir()); len(ents) != 0 {
		t.Errorf("outbox still holds %d files", len(ents))
	}
}

// A rename into a full mailbox, and the forward after it, leave the mail
// they cannot move where it is and move it once there is room.
func TestQuotaDefersRenameMovesAndForwards(t *testing.T) {
	s := quotaSpool(t)
	clock := newClock()
	s.clock = clock.Now
	bob, err := s.Claim("bob")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := s.Send(Draft{From: "a", To: []string{"bob"}, Body: "for bob"}); err != nil {
			t.Fatal(err)
		}
	}
	fill(t, s, "robert") // not registered: a rename target may hold queued mail
	robert, err := s.Rename(bob, "robert")
	if err != nil {
		t.Fatalf("rename into a full mailbox: %v", err)
	}
	defer robert.Release()
	if n := unreadOf(t, s, "robert"); n != 2 {
		t.Errorf("robert has %d unread after the rename, over his limit of 2", n)
	}
	if n := unreadOf(t, s, "bob"); n != 2 {
		t.Fatalf("bob's mailbox holds %d unread, want the 2 left behind", n)
	}
	clock.Add(3 * time.Hour) // the forward has expired: it drains what is left
	if _, err := s.ApplyForwards(); !errors.Is(err, ErrQuota) {
		t.Errorf("drain into a full mailbox: %v, want ErrQuota", err)
	}
	if _, ok := s.Forward("bob"); !ok {
		t.Fatal("the forward was removed with mail still to move")
	}
	if _, err := mustMailbox(t, s, "robert").Check(CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyForwards(); err != nil {
		t.Errorf("drain once robert has read: %v", err)
	}
	if n := unreadOf(t, s, "robert"); n != 2 {
		t.Errorf("robert has %d unread after the drain, want bob's 2", n)
	}
	if n := unreadOf(t, s, "bob"); n != 0 {
		t.Errorf("bob's mailbox still holds %d", n)
	}
}

// One size limit: a body over MaxMessage is refused before anything is
// written, whichever front end gave it.
func TestSendRefusesOverMaxMessage(t *testing.T) {
	s := openTest(t)
	body := make([]byte, MaxMessage+1)
	for i := range body {
		body[i] = 'x'
	}
	_, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: string(body)})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("send of %d bytes: %v, want ErrTooLarge", len(body), err)
	}
	if mb := mustMailbox(t, s, "b"); mb.Exists() {
		t.Error("a refused message created the mailbox")
	}
}

// TestQuotaBound holds the bound a mailbox keeps instead of listing per
// send: it refuses only after a listing, reading frees room at once, mail
// put in new/ by other means is counted once the bound is older than
// quotaVerify, and a lost or damaged bound file just means a listing.
func TestQuotaBound(t *testing.T) {
	c := newClock()
	cfg := DefaultConfig()
	cfg.MaxUnread, cfg.RatePerMinute = 3, 0
	s := openTest(t, WithClock(c.Now), WithConfig(cfg))
	send := func() error { _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x"}); return err }
	for i := range 3 {
		if err := send(); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := send(); !errors.Is(err, ErrQuota) {
		t.Fatalf("fourth send: %v, want ErrQuota", err)
	}
	mb := mustMailbox(t, s, "b")
	if _, err := mb.Check(CheckOptions{Limit: 2}); err != nil {
		t.Fatal(err)
	}
	// The bound says 3: the next send lists, finds 1, and takes it.
	for i := range 2 {
		if err := send(); err != nil {
			t.Fatalf("send %d after reading two: %v", i, err)
		}
	}
	if err := send(); !errors.Is(err, ErrQuota) {
		t.Fatalf("send over the limit after reading: %v, want ErrQuota", err)
	}

	// Mail that a script moves in is not counted by the bound at once...
	if _, err := mb.Check(CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := send(); err != nil { // lists: 0 unread, bound 1
		t.Fatal(err)
	}
	for _, n := range []string{"script1", "script2"} {
		if err := os.WriteFile(filepath.Join(mb.NewDir(), n), []byte("from a script\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := send(); err != nil { // bound 2 of 3: trusted, not listed
		t.Fatalf("send with a fresh bound: %v", err)
	}
	// ...but once the bound is older than quotaVerify, it is.
	c.Add(quotaVerify + time.Second)
	if err := send(); !errors.Is(err, ErrQuota) {
		t.Fatalf("send after a stale bound: %v, want ErrQuota (4 unread)", err)
	}

	// A damaged bound file is a listing, not a wrong answer.
	if _, err := mb.Check(CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path(dirState, "quota", "b"), []byte("cut"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := send(); err != nil {
		t.Fatalf("send with a damaged bound: %v", err)
	}
	if n := unreadOf(t, s, "b"); n != 1 {
		t.Fatalf("unread %d, want 1", n)
	}
}
