package spool

import (
	"os"
	"path/filepath"
	"testing"
)

// syncsOf returns the directories fsynced in log, in order.
func syncsOf(log []plOp) []string {
	var dirs []string
	for _, o := range log {
		if o.kind == "syncdir-done" {
			dirs = append(dirs, o.path)
		}
	}
	return dirs
}

// TestFreshProcessDirSyncs: a process delivering into a mailbox another
// process made and recorded durable fsyncs only new/; one that finds the
// mailbox changed since (or made by hand, or its record gone or damaged)
// fsyncs mail/NAME and mail/ again before its first delivery.
func TestFreshProcessDirSyncs(t *testing.T) {
	new := filepath.Join("spool", "mail", "bob", "new")
	all := []string{filepath.Join("spool", "mail", "bob"), filepath.Join("spool", "mail"), new}
	cases := []struct {
		name    string
		between func(t *testing.T, s *Spool) // after the first process, before the fresh one
		want    []string
	}{
		{"recorded durable", func(*testing.T, *Spool) {}, []string{new}},
		{"no record", func(t *testing.T, s *Spool) { os.Remove(s.durablePath("bob")) }, all},
		{"record cut short by a power cut", func(t *testing.T, s *Spool) {
			b, _ := os.ReadFile(s.durablePath("bob"))
			os.WriteFile(s.durablePath("bob"), b[:len(b)-3], 0o600)
		}, all},
		{"new/ made again", func(t *testing.T, s *Spool) {
			d := filepath.Join(s.Root, "mail", "bob", "new")
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
			os.Mkdir(d, 0o700)
		}, all},
		{"mailbox made again", func(t *testing.T, s *Spool) {
			d := filepath.Join(s.Root, "mail", "bob")
			os.RemoveAll(d)
			for _, sub := range []string{"", "tmp", "new", "cur"} {
				os.Mkdir(filepath.Join(d, sub), 0o700)
			}
		}, all},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "spool")
			first, err := Open(root, WithConfig(quietConfig()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := first.Send(Draft{From: "alice", To: []string{"bob"}, Body: "first"}); err != nil {
				t.Fatal(err)
			}
			c.between(t, first)
			fsys := newPLFS(base)
			fresh, err := Open(root, WithConfig(quietConfig()), WithFS(fsys))
			if err != nil {
				t.Fatal(err)
			}
			fsys.log = nil // what Open itself did is not the delivery's
			for i := 0; i < 2; i++ {
				if _, err := fresh.Send(Draft{From: "alice", To: []string{"bob"}, Body: "again"}); err != nil {
					t.Fatal(err)
				}
			}
			got := syncsOf(fsys.log)
			want := append(append([]string(nil), c.want...), new) // the second send: new/ only
			if len(got) != len(want) {
				t.Fatalf("directory fsyncs of two sends by a fresh process: %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("directory fsyncs of two sends by a fresh process: %v, want %v", got, want)
				}
			}
		})
	}
}

// quietConfig is the default configuration without the rate limit.
func quietConfig() Config {
	cfg := DefaultConfig()
	cfg.RatePerMinute = 0
	return cfg
}

// TestVouchOwnClaim: a name this process holds is vouched for without
// asking the lock, and no longer once it is released.
func TestVouchOwnClaim(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "spool"), WithConfig(quietConfig()))
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Claim("alice")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Vouch("alice"); err != nil || p != ProvSession {
		t.Fatalf("vouch for a held name: %q %v, want %q", p, err, ProvSession)
	}
	if err := o.Release(); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Vouch("alice"); err != nil || p != ProvCLI {
		t.Fatalf("vouch for a released name: %q %v, want %q", p, err, ProvCLI)
	}
}
