package spool

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupCommit: concurrent callers share fsyncs, and none returns
// before an fsync that began after it was called has ended.
func TestGroupCommit(t *testing.T) {
	g := newGroupCommit()
	var begun, ended atomic.Int64
	do := func() error {
		n := begun.Add(1)
		time.Sleep(200 * time.Microsecond) // an fsync takes a while
		ended.Store(n)
		return nil
	}
	const callers, each = 8, 25
	var wg sync.WaitGroup
	var early atomic.Int64
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				before := begun.Load() // what began before this call vouches for nothing
				if err := g.sync(do); err != nil {
					t.Error(err)
				}
				if ended.Load() <= before {
					early.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if early.Load() > 0 {
		t.Errorf("%d calls returned before an fsync that began after them had ended", early.Load())
	}
	if n := begun.Load(); n >= callers*each {
		t.Errorf("%d fsyncs for %d calls by %d concurrent callers: none was shared", n, callers*each, callers)
	} else {
		t.Logf("%d fsyncs for %d calls by %d concurrent callers", n, callers*each, callers)
	}
}

// TestGroupCommitError: a failed fsync fails every call it was to vouch
// for, and the next call tries again.
func TestGroupCommitError(t *testing.T) {
	g := newGroupCommit()
	errDisk := errors.New("EIO")
	fail := true
	do := func() error {
		if fail {
			return errDisk
		}
		return nil
	}
	if err := g.sync(do); !errors.Is(err, errDisk) {
		t.Fatalf("sync with a failing fsync: %v, want %v", err, errDisk)
	}
	fail = false
	if err := g.sync(do); err != nil {
		t.Fatalf("sync after the disk recovered: %v", err)
	}
}
