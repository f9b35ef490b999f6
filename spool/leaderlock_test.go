package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestLeaderLock(t *testing.T) {
	root := filepath.Join(t.TempDir(), "spool")
	a, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Leader(); ok {
		t.Fatal("a leader before anyone led")
	}
	la, ok, err := a.TryLead()
	if err != nil || !ok {
		t.Fatalf("first TryLead: %v %v", ok, err)
	}
	if _, ok, err := b.TryLead(); ok || err != nil {
		t.Fatalf("second TryLead: %v %v; want refused", ok, err)
	}
	info, ok := b.Leader()
	if !ok || info.PID != os.Getpid() || info.Since.IsZero() {
		t.Fatalf("Leader() = %+v, %v", info, ok)
	}
	if err := la.Release(); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Leader(); ok {
		t.Error("released leadership still reported")
	}
	if rec, err := os.ReadFile(filepath.Join(root, "spool.holder")); err == nil {
		t.Errorf("released lock still names a leader: %q", rec)
	}
	lb, ok, err := b.TryLead()
	if err != nil || !ok {
		t.Fatalf("TryLead after release: %v %v", ok, err)
	}
	defer lb.Release()
	fi, err := os.Stat(filepath.Join(root, "spool.lock"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("spool.lock: %v %v", fi, err)
	}
}

func TestLeaderIgnoresStalePid(t *testing.T) {
	s := openTest(t)
	// A lock file naming a live process that does not hold the lock (pid
	// reuse after a crash) is no leader.
	if err := os.WriteFile(holderPath(s.path(leaderFile)), []byte(fmt.Sprintf(`{"pid":%d}`, os.Getppid())), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, ok := s.Leader(); ok {
		t.Errorf("Leader() = %+v for a lock nobody holds", info)
	}
}
