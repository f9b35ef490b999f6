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
	n, err := s.CleanTmp()
	if err != nil || n != 2 {
		t.Fatalf("CleanTmp = %d, %v; want 2", n, err)
	}
	for _, p := range []string{filepath.Join(mb.Dir, "tmp", "writing"), filepath.Join(mb.NewDir(), "old-mail"),
		filepath.Join(s.OutboxDir(), "old-drop")} {
		if !fileExists(p) {
			t.Errorf("%s removed", p)
		}
	}
	if fileExists(filepath.Join(mb.Dir, "tmp", "dead")) || fileExists(s.path(dirOutbox, "tmp", "dead")) {
		t.Error("old tmp files kept")
	}
}
