package spool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExpireOrphans(t *testing.T) {
	// Real time: arrival is read from inode change times, which the
	// kernel sets.
	clk := &testClock{t: time.Now()}
	s := openTest(t, WithClock(clk.Now))
	start := clk.Now()
	for _, name := range []string{"ghost", "alice"} {
		mb, _, _ := s.ensureMailbox(name)
		if _, err := mb.deliverBytes(newID(), []byte("old\n")); err != nil {
			t.Fatal(err)
		}
	}
	o, err := s.Claim("alice")
	if err != nil {
		t.Fatal(err)
	}
	o.Release()
	// A script's file with a name that holds no time: its mtime counts.
	ghost := mustMailbox(t, s, "ghost")
	plain := filepath.Join(ghost.NewDir(), "note.txt")
	if err := os.WriteFile(plain, []byte("plain\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(plain, start, start); err != nil {
		t.Fatal(err)
	}
	clk.Add(6 * 24 * time.Hour)
	if _, _, err := s.ensureMailbox("ghost"); err != nil {
		t.Fatal(err)
	}
	young, _ := ghost.deliverBytes(newID(), []byte("young\n"))
	for _, tc := range []struct {
		after time.Duration
		want  int
	}{{0, 0}, {1*24*time.Hour + time.Minute, 2}, {time.Hour, 0}} {
		clk.Add(tc.after)
		n, err := s.ExpireOrphans()
		if err != nil || n != tc.want {
			t.Fatalf("at +%v: ExpireOrphans = %d, %v; want %d", clk.Now().Sub(start), n, err, tc.want)
		}
	}
	if u, _ := ghost.Unread(); u != 1 || !fileExists(young) {
		t.Errorf("ghost keeps %d unread; the young message must stay", u)
	}
	if u, _ := mustMailbox(t, s, "alice").Unread(); u != 1 {
		t.Errorf("registered alice lost mail: %d unread", u)
	}
	q := files(t, s.path(dirQuarantine))
	whys := 0
	for _, n := range q {
		if strings.HasSuffix(n, ".why") {
			b, _ := os.ReadFile(s.path(dirQuarantine, n))
			if !strings.Contains(string(b), "ghost never registered") {
				t.Errorf("%s: %q", n, b)
			}
			whys++
		}
	}
	if len(q) != 4 || whys != 2 {
		t.Errorf("quarantine holds %v", q)
	}
}
