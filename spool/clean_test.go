package spool

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCleanTmp(t *testing.T) {
	clk := newClock()
	s := openTest(t, WithClock(clk.Now))
	mb, _, _ := s.ensureMailbox("bob")
	old, young := clk.Now().Add(-37*time.Hour), clk.Now().Add(-35*time.Hour)
	mk := func(path string, at time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	mk(filepath.Join(mb.Dir, "tmp", "dead"), old)
	mk(filepath.Join(mb.Dir, "tmp", "writing"), young)
	mk(s.path(dirOutbox, "tmp", "dead"), old)
	mk(filepath.Join(mb.NewDir(), "old-mail"), old) // mail, never touched
	mk(filepath.Join(s.OutboxDir(), "old-drop"), old)
	mk(s.path(dirLarge, "20261101-100000_a_b_0123456789ab.md"), old) // a large body, never touched
	mk(s.path(dirLarge, ".20261101-100000_a_b_0123456789ab.md.part0123456789ab"), old)
	mk(s.path(dirLarge, ".20261101-100000_a_b_0123456789ac.md.tmp0123456789ab"), young)
	n, err := s.CleanTmp()
	if err != nil || n != 3 {
		t.Fatalf("CleanTmp = %d, %v; want 3", n, err)
	}
	for _, p := range []string{filepath.Join(mb.Dir, "tmp", "writing"), filepath.Join(mb.NewDir(), "old-mail"),
		filepath.Join(s.OutboxDir(), "old-drop"), s.path(dirLarge, "20261101-100000_a_b_0123456789ab.md"),
		s.path(dirLarge, ".20261101-100000_a_b_0123456789ac.md.tmp0123456789ab")} {
		if !fileExists(p) {
			t.Errorf("%s removed", p)
		}
	}
	if fileExists(filepath.Join(mb.Dir, "tmp", "dead")) || fileExists(s.path(dirOutbox, "tmp", "dead")) ||
		fileExists(s.path(dirLarge, ".20261101-100000_a_b_0123456789ab.md.part0123456789ab")) {
		t.Error("old tmp files kept")
	}
}
