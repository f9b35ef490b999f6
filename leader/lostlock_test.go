package leader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// A leader whose spool is deleted under it stops, so it never leads beside
// the leader that locks the new spool's spool.lock.
func TestLeaderStopsWhenSpoolDeleted(t *testing.T) {
	defer func(d time.Duration) { lockCheck = d }(lockCheck)
	lockCheck = 20 * time.Millisecond
	root := filepath.Join(t.TempDir(), "spool")
	sp := open(t, root)
	led := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), sp, Options{NoSearchIndex: true, OnLead: func(spool.Holder) { close(led) }})
	}()
	<-led
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, spool.ErrLostLock) {
			t.Fatalf("Run after the spool was deleted returned %v, want ErrLostLock", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader of a deleted spool went on leading")
	}
	sp2 := open(t, root)
	l, ok, err := sp2.TryLead()
	if err != nil || !ok {
		t.Fatalf("a leader for the new spool: %v %v", ok, err)
	}
	defer l.Release()
	if err := l.Check(); err != nil {
		t.Errorf("the new leader's lock: %v", err)
	}
}

// Check tells a held lock from one whose file was replaced.
func TestLeadershipCheck(t *testing.T) {
	sp := open(t, filepath.Join(t.TempDir(), "spool"))
	l, ok, err := sp.TryLead()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	defer l.Release()
	if err := l.Check(); err != nil {
		t.Fatalf("fresh lock: %v", err)
	}
	lock := filepath.Join(sp.Root, "spool.lock")
	if err := os.Rename(lock, lock+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); !errors.Is(err, spool.ErrLostLock) {
		t.Errorf("replaced lock: %v, want ErrLostLock", err)
	}
}

// A leader whose spool.lock is replaced stops before its next piece of
// work, not at its next periodic check: a drop-in arriving just after the
// replacement is left for the newcomer who locks the new file.
func TestLeaderActsNotAfterLockReplaced(t *testing.T) {
	defer func(d time.Duration) { lockCheck = d }(lockCheck)
	lockCheck = time.Hour // only the check before work can stop it
	sp := open(t, filepath.Join(t.TempDir(), "spool"))
	led := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), sp, Options{NoSearchIndex: true, Housekeeping: time.Hour,
			OnLead: func(spool.Holder) { close(led) }})
	}()
	<-led
	drop(t, sp, "before", "bob")
	until(t, "the drop-in before the replacement routed", func() bool { return unread(t, sp, "bob") == 1 })
	lock := filepath.Join(sp.Root, "spool.lock")
	if err := os.Rename(lock, lock+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	drop(t, sp, "after", "bob")
	select {
	case err := <-done:
		if !errors.Is(err, spool.ErrLostLock) {
			t.Fatalf("Run after spool.lock was replaced returned %v, want ErrLostLock", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader went on leading after spool.lock was replaced")
	}
	if n := unread(t, sp, "bob"); n != 1 {
		t.Errorf("bob has %d messages: the old leader routed after losing its lock", n)
	}
	if left, _ := sp.Outbox(); len(left) != 1 || left[0] != "after" {
		t.Errorf("outbox holds %v, want the drop-in left for the next leader", left)
	}
}
