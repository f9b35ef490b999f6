package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"

	"github.com/claude-ipc/ipc/internal/platform"
)

// lockFile is a lock taken with github.com/gofrs/flock: flock(2) on Unix,
// LockFileEx on Windows; the kernel drops it when the process dies. The
// file is created once (0600, without following a symlink) and never
// deleted or renamed while the spool exists: a process that opened a
// replacement would lock a different inode and two processes would both
// hold "the" lock. It carries no content: on Windows a locked range cannot
// be read by others, so what a holder records goes in a file beside it.
type lockFile struct {
	fl *flock.Flock
}

// openLock opens (creating if needed, through the spool's FS) the lock
// file at path.
func (s *Spool) openLock(path string) (*lockFile, error) {
	f, err := s.fs.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	f.Close()
	return &lockFile{fl: flock.New(path, flock.SetFlag(os.O_RDWR|platform.ONoFollow), flock.SetPermissions(0o600))}, nil
}

// retryEINTR runs a lock operation again when a signal interrupts it:
// gofrs/flock passes EINTR through.
func retryEINTR[T any](op string, path string, f func() (T, error)) (T, error) {
	for {
		v, err := f()
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			err = &os.PathError{Op: op, Path: path, Err: err}
		}
		return v, err
	}
}

// tryLock takes the lock if it is free and reports whether it did.
func (l *lockFile) tryLock() (bool, error) {
	return retryEINTR("lock", l.fl.Path(), l.fl.TryLock)
}

// check reports whether the held descriptor is still the file at its path
// (same device and inode, and the path not a symbolic link).
func (l *lockFile) check() error {
	held, err := l.fl.Stat()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrLostLock, l.path(), err)
	}
	now, err := os.Lstat(l.path())
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrLostLock, l.path(), err)
	}
	if !os.SameFile(held, now) {
		return fmt.Errorf("%w: %s is another file now", ErrLostLock, l.path())
	}
	return nil
}

// lock waits for the lock.
func (l *lockFile) lock() error {
	_, err := retryEINTR("lock", l.fl.Path(), func() (struct{}, error) { return struct{}{}, l.fl.Lock() })
	return err
}

// close releases the lock (closing the descriptor drops it).
func (l *lockFile) close() error { return l.fl.Close() }

// path returns the lock file's path.
func (l *lockFile) path() string { return l.fl.Path() }

// Holder is what the process holding a name's owner.lock or the spool's
// spool.lock records beside it (owner.holder, spool.holder; ownerlock.go).
type Holder struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
	Host  string    `json:"host,omitempty"`
	// Session is the pid of the agent program (Claude Code) the holder
	// ran under when it claimed the name; its other children may act as
	// the name (see Spool.Vouch). 0 when none.
	Session int `json:"session,omitempty"`
}

// holderPath returns where the holder of the lock at path is recorded.
func holderPath(lock string) string { return strings.TrimSuffix(lock, ".lock") + ".holder" }

// tryHold takes the lock at path if it is free and then records h (JSON)
// beside it for others to read. ok is false, with a nil error, while
// someone else holds it.
func (s *Spool) tryHold(path string, h Holder) (lk *lockFile, ok bool, err error) {
	lk, err = s.openLock(path)
	if err != nil {
		return nil, false, err
	}
	if ok, err = lk.tryLock(); err != nil || !ok {
		lk.close()
		return nil, false, err
	}
	if lk.check() != nil { // replaced between open and lock: not the lock any more
		lk.close()
		return nil, false, nil
	}
	if err := s.writeHolder(holderPath(path), h); err != nil {
		lk.close()
		return nil, false, fmt.Errorf("record holder of %s: %w", path, err)
	}
	return lk, true, nil
}

// writeHolder replaces the record at path by rename, so a reader sees the
// previous holder's record or this one, never a part. It is advisory (the
// lock is the truth), so it is not fsynced.
func (s *Spool) writeHolder(path string, h Holder) error {
	b, _ := json.Marshal(h)
	return s.writeAdvisory(path, append(b, '\n'))
}

// dropHolder removes the record of the lock lk, while it is still held, so
// that a process that goes on living is not reported as the holder.
func (s *Spool) dropHolder(lk *lockFile) {
	_ = s.fs.Remove(holderPath(lk.path()))
}

// readHolder reads the record beside the lock at path; zero when absent
// or damaged.
func readHolder(path string) Holder {
	var h Holder
	if b, err := readNoFollow(holderPath(path)); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}

// heldBy reports who holds the lock at path, if a live process does. A
// record is only a claim: when its pid names a process that is gone it
// answers at once; otherwise it tries the lock, disturbing a concurrent
// claim for only microseconds, and a record without a held lock is stale.
func (s *Spool) heldBy(path string) (Holder, bool) {
	h := readHolder(path)
	if h.PID > 0 && !platform.Alive(h.PID) {
		return h, false
	}
	lk, err := s.openLock(path)
	if err != nil {
		return h, false
	}
	defer lk.close()
	got, err := lk.tryLock()
	return h, err == nil && !got
}
