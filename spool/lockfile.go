package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile is a file locked with flock(2). The file is opened without
// following a symlink and is never deleted or renamed while the spool
// exists: a process that opened a replacement would lock a different inode
// and two processes would both hold "the" lock.
type lockFile struct {
	f *os.File
}

// openLock opens (creating if needed, 0600) the lock file at path.
func openLock(path string) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	return &lockFile{f: f}, nil
}

// flock applies how (LOCK_EX, LOCK_UN, with LOCK_NB or not), retrying when
// a signal interrupts it.
func (l *lockFile) flock(how int) error {
	for {
		err := unix.Flock(int(l.f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return &os.PathError{Op: "flock", Path: l.f.Name(), Err: err}
			}
			return nil
		}
	}
}

// tryLock takes the lock if it is free and reports whether it did.
func (l *lockFile) tryLock() (bool, error) {
	err := l.flock(unix.LOCK_EX | unix.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// check reports whether the held descriptor is still the file at its path
// (same device and inode, and the path not a symbolic link).
func (l *lockFile) check() error {
	held, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrLostLock, l.f.Name(), err)
	}
	now, err := os.Lstat(l.f.Name())
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrLostLock, l.f.Name(), err)
	}
	if !os.SameFile(held, now) {
		return fmt.Errorf("%w: %s is another file now", ErrLostLock, l.f.Name())
	}
	return nil
}

// lock waits for the lock.
func (l *lockFile) lock() error { return l.flock(unix.LOCK_EX) }

// isAt reports whether path still names the locked file (it was not
// renamed or removed meanwhile).
func (l *lockFile) isAt(path string) bool {
	a, errA := l.f.Stat()
	b, errB := os.Lstat(path)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// close releases the lock (closing the descriptor drops it).
func (l *lockFile) close() error { return l.f.Close() }

// replace sets the file's content to b through the locked descriptor.
// Readers may glimpse it half-written; they treat what they cannot parse
// as unknown, never as an answer.
func (l *lockFile) replace(b []byte) error {
	if _, err := l.f.WriteAt(b, 0); err != nil {
		return err
	}
	return l.f.Truncate(int64(len(b)))
}

// Holder is what the process holding a name's owner.lock or the spool's
// spool.lock records in it.
type Holder struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
	Host  string    `json:"host,omitempty"`
	// Session is the pid of the agent program (Claude Code) the holder
	// ran under when it claimed the name; its other children may act as
	// the name (see Spool.Vouch). 0 when none.
	Session int `json:"session,omitempty"`
}

// tryHold takes the lock at path if it is free and records h (JSON) in it
// for others to read. ok is false, with a nil error, while someone else
// holds it.
func tryHold(path string, h Holder) (lk *lockFile, ok bool, err error) {
	lk, err = openLock(path)
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
	b, _ := json.Marshal(h)
	// Written in place, not by rename: the lock file must keep its inode.
	if err := lk.replace(append(b, '\n')); err != nil {
		lk.close()
		return nil, false, fmt.Errorf("record holder in %s: %w", path, err)
	}
	return lk, true, nil
}

// readHolder reads the record in the lock file at path; zero when absent
// or caught half-written.
func readHolder(path string) Holder {
	var h Holder
	if b, err := readNoFollow(path); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}

// heldBy reports who holds the lock at path, if a live process does. When
// the recorded pid names a process that is gone it answers at once;
// otherwise it tries the lock, disturbing a concurrent claim for only
// microseconds. A record caught half-written counts as unknown, never as
// an answer.
func heldBy(path string) (Holder, bool) {
	h := readHolder(path)
	if h.PID > 0 && !alive(h.PID) {
		return h, false
	}
	lk, err := openLock(path)
	if err != nil {
		return h, false
	}
	defer lk.close()
	got, err := lk.tryLock()
	return h, err == nil && !got
}
