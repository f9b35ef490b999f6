package spool

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		name   string
		exists []string // mailboxes made first, by hand
		give   string
		want   string
		err    error
	}{
		{"unknown name kept", nil, "Claude", "Claude", nil},
		{"exact", []string{"claude"}, "claude", "claude", nil},
		{"case differs", []string{"claude"}, "Claude", "claude", nil},
		{"upper kept as first spelt", []string{"Claude"}, "CLAUDE", "Claude", nil},
		{"other names ignored", []string{"claud", "claude-2"}, "Claude", "Claude", nil},
		{"two old spellings, exact", []string{"Claude", "claude"}, "claude", "claude", nil},
		{"two old spellings, neither", []string{"Claude", "claude"}, "CLAUDE", "", ErrBadName},
		{"invalid", nil, "no spaces", "", ErrBadName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			for _, n := range tc.exists {
				if err := os.MkdirAll(s.path(dirMail, n, "new"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if s.foldsCase() && len(tc.exists) > 1 {
				t.Skip("this file system folds case: two spellings cannot be two directories")
			}
			got, err := s.Canonical(tc.give)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("Canonical(%q) = %q, %v; want %q, %v", tc.give, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestCaseIsOneName: every way into a mailbox treats a case variant as
// the name: send, claim, presence, broadcast, vouch.
func TestCaseIsOneName(t *testing.T) {
	s := openTest(t)
	o, err := s.Claim("claude")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim("Claude"); !errors.Is(err, ErrNameTaken) {
		t.Errorf("Claim(Claude) while claude is held: %v", err)
	}
	if p := s.Presence("CLAUDE"); !p.Online {
		t.Error("Presence(CLAUDE) does not see claude online")
	}
	rc, err := s.Send(Draft{From: "Bob", To: []string{"Claude"}, Body: "hi"})
	if err != nil || rc.Delivered[0].Mailbox != "claude" {
		t.Fatalf("send to Claude: %+v %v", rc, err)
	}
	if _, err := s.Send(Draft{From: "Claude", To: []string{"bob"}, Body: "as the holder"}); err != nil {
		t.Errorf("the holder sending as Claude: %v", err)
	}
	if _, err := s.Broadcast("CLAUDE", "to all", nil); err != nil {
		t.Fatal(err)
	}
	o.Release()
	names, _ := s.Names()
	if strings.Join(names, ",") != "bob,claude" {
		t.Errorf("mailboxes %v, want bob and claude only", names)
	}
	mb, _ := s.Mailbox("CLAUDE")
	msgs, err := mb.Check(CheckOptions{})
	if err != nil || len(msgs) != 1 || msgs[0].From != "Bob" {
		t.Errorf("claude's mail: %+v %v (a broadcast from CLAUDE must not reach claude)", msgs, err)
	}
	if bob, _ := s.Mailbox("bob"); len(files(t, bob.NewDir())) != 2 {
		t.Errorf("bob's mailbox holds %d, want 2", len(files(t, bob.NewDir())))
	}
}

func TestForget(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(t *testing.T, s *Spool) *Owner // returns an owner to keep, if any
		forget    string
		wantErr   error
		wantMoved int
		wantFwd   string
	}{
		{"never registered", func(t *testing.T, s *Spool) *Owner {
			send(t, s, "alice", "Claude", "one")
			send(t, s, "alice", "Claude", "two")
			return nil
		}, "claude", nil, 2, ""},
		{"offline, read and unread", func(t *testing.T, s *Spool) *Owner {
			o, _ := s.Claim("bob")
			send(t, s, "alice", "bob", "read")
			mb, _ := s.Mailbox("bob")
			if _, err := mb.Check(CheckOptions{}); err != nil {
				t.Fatal(err)
			}
			send(t, s, "alice", "bob", "unread")
			o.Release()
			return nil
		}, "bob", nil, 2, ""},
		{"renamed away", func(t *testing.T, s *Spool) *Owner {
			o, _ := s.Claim("old")
			no, err := s.Rename(o, "new")
			if err != nil {
				t.Fatal(err)
			}
			no.Release()
			return nil
		}, "old", nil, 0, "new"},
		{"online", func(t *testing.T, s *Spool) *Owner {
			o, _ := s.Claim("carol")
			return o
		}, "carol", ErrNameTaken, 0, ""},
		{"unknown", func(t *testing.T, s *Spool) *Owner { return nil }, "nobody", ErrNotFound, 0, ""},
		{"invalid", func(t *testing.T, s *Spool) *Owner { return nil }, "a/b", ErrBadName, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			if o := tc.setup(t, s); o != nil {
				defer o.Release()
			}
			qBefore := len(files(t, s.path(dirQuarantine)))
			f, err := s.Forget(tc.forget)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Forget(%q) = %+v, %v; want %v", tc.forget, f, err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if tc.wantErr == ErrNameTaken {
					if mb, _ := s.Mailbox(tc.forget); !mb.Exists() {
						t.Error("refused, yet the mailbox is gone")
					}
				}
				return
			}
			if f.Quarantined != tc.wantMoved || f.Forward != tc.wantFwd {
				t.Errorf("Forget = %+v; want %d quarantined, forward %q", f, tc.wantMoved, tc.wantFwd)
			}
			if q := len(files(t, s.path(dirQuarantine))) - qBefore; q != 2*tc.wantMoved {
				t.Errorf("quarantine gained %d files, want %d (each with its .why)", q, 2*tc.wantMoved)
			}
			if mb, _ := s.Mailbox(tc.forget); mb.Exists() {
				t.Error("the mailbox is still there")
			}
			if left := files(t, s.path(dirMail)); strings.Contains(strings.Join(left, " "), ".forget.") {
				t.Errorf("left behind in mail/: %v", left)
			}
			if _, ok := s.Forward(f.Name); ok {
				t.Error("the forward is still there")
			}
			// The name is free for anyone now, and mail to it starts afresh.
			o, err := s.Claim(tc.forget)
			if err != nil {
				t.Fatalf("claim after forget: %v", err)
			}
			o.Release()
		})
	}
}

func send(t *testing.T, s *Spool, from, to, body string) {
	t.Helper()
	if _, err := s.Send(Draft{From: from, To: []string{to}, Body: body}); err != nil {
		t.Fatal(err)
	}
}

func TestClaimSaysItEndedAForward(t *testing.T) {
	s := openTest(t)
	o, _ := s.Claim("alice")
	no, err := s.Rename(o, "al")
	if err != nil {
		t.Fatal(err)
	}
	defer no.Release()
	again, err := s.Claim("alice")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if again.EndedForward == nil || again.EndedForward.To != "al" {
		t.Errorf("EndedForward = %+v, want the forward to al", again.EndedForward)
	}
	if s.Resolve("alice") != "alice" {
		t.Error("mail to alice still goes to al")
	}
	again.Release()
	if third, _ := s.Claim("alice"); third.EndedForward != nil {
		t.Errorf("a claim with no forward reports %+v", third.EndedForward)
	} else {
		third.Release()
	}
}

func TestClaimAfterForgetMovedTheLock(t *testing.T) {
	s := openTest(t)
	mb, _, err := s.ensureMailbox("dora")
	if err != nil {
		t.Fatal(err)
	}
	lk, _, err := s.lockOwner("dora", Holder{PID: os.Getpid()})
	if err != nil || lk == nil {
		t.Fatalf("lock: %v %v", lk, err)
	}
	defer lk.close()
	if !s.lockedAt(lk.f, "dora") {
		t.Fatal("a lock not moved does not count as at its path")
	}
	if err := os.Rename(mb.Dir, s.path(dirMail, ".dora.forget.x")); err != nil {
		t.Fatal(err)
	}
	if s.lockedAt(lk.f, "dora") {
		t.Error("a lock whose directory moved still counts as at its path")
	}
	if _, _, err := s.lockOwner("dora", Holder{PID: os.Getpid()}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("locking a forgotten name: %v, want a missing mailbox", err)
	}
}
