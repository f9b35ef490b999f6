package spool

import (
	"path/filepath"
	"runtime"
	"testing"
)

// TestInfoSeparators checks that names in cur/ are read with either info
// separator, ':' (Maildir) or '!' (Windows), and written with this
// system's.
func TestInfoSeparators(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		flags     Flags
		unread    bool
	}{
		{"1.M2P3.host,S=10", "1.M2P3.host,S=10", "", true},
		{"1.M2P3.host,S=10" + ":2,S", "1.M2P3.host,S=10", "S", false},
		{"1.M2P3.host,S=10" + "!2,FS", "1.M2P3.host,S=10", "FS", false},
		{"1.M2P3.host,S=10" + "!2,", "1.M2P3.host,S=10", "", true},
		{"odd!name" + ":2,R", "odd!name", "R", true},
	} {
		e := entry{dir: "cur", name: tc.name}
		if e.key() != tc.key || e.flags() != tc.flags || e.unread() != tc.unread {
			t.Errorf("%q: key %q flags %q unread %v; want %q %q %v", tc.name, e.key(), e.flags(), e.unread(), tc.key, tc.flags, tc.unread)
		}
	}
	want := ":2,S"
	if runtime.GOOS == "windows" {
		want = "!2,S"
	}
	if got := flagInfo("S"); got != want {
		t.Errorf("flagInfo(S) = %q, want %q", got, want)
	}
}

// TestCheckReadsBothSeparators reads a mailbox whose cur/ holds unread mail
// named with each separator, as a spool copied between systems has.
func TestCheckReadsBothSeparators(t *testing.T) {
	s := openTest(t)
	if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "one"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "two"}); err != nil {
		t.Fatal(err)
	}
	mb := mustMailbox(t, s, "b")
	ents, err := mb.entries("new")
	if err != nil || len(ents) != 2 {
		t.Fatalf("new/: %v %v", ents, err)
	}
	for i, e := range ents { // listed by a mail client: moved to cur/ without S
		info := []string{":2,", "!2,"}[i]
		if err := s.fs.Rename(mb.path(e), filepath.Join(mb.Dir, "cur", e.name+info)); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := mb.Check(CheckOptions{})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("check: %d messages, %v; want both", len(msgs), err)
	}
	for _, m := range msgs {
		if !m.Flags.Has(FlagSeen) {
			t.Errorf("%s: flags %q after check, want S", m.Path, m.Flags)
		}
	}
}
