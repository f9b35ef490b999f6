package spool

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Records is one directory of state/ in which a package above the spool
// keeps small records of its own (what a session was told, auto-check):
// the spool knows nothing of what they mean, only how to keep them safely.
// A record is read without following a symbolic link, replaced atomically
// (a reader sees the old content or the new, never a part), and changed
// under a lock file that is never deleted.
type Records struct {
	sp  *Spool
	dir string
}

// ErrBadRecord is returned for a record kind or file name that is not a
// plain name (empty, a dot name, or one with a separator).
var ErrBadRecord = errors.New("not a record name")

// Records returns the records of kind, kept in state/KIND/. The directory
// is made when the first record is written.
func (s *Spool) Records(kind string) (*Records, error) {
	if err := recordName(kind); err != nil {
		return nil, err
	}
	return &Records{sp: s, dir: s.path(dirState, kind)}, nil
}

// recordName refuses anything but a plain file name.
func recordName(n string) error {
	if n == "" || strings.HasPrefix(n, ".") || strings.ContainsAny(n, `/\:`) {
		return fmt.Errorf("%w: %q", ErrBadRecord, n)
	}
	return nil
}

// Path is where the record file lives.
func (r *Records) Path(file string) string { return filepath.Join(r.dir, file) }

// Read returns the content of the record file (up to 1 MiB); an error
// matching fs.ErrNotExist when there is none.
func (r *Records) Read(file string) ([]byte, error) {
	if err := recordName(file); err != nil {
		return nil, err
	}
	return readNoFollow(r.Path(file))
}

// make checks that file is a plain name and makes the records' directory
// (its entry fsynced) if it is missing: what every writer of a record
// needs first.
func (r *Records) make(file string) error {
	if err := recordName(file); err != nil {
		return err
	}
	return r.sp.mkdir(r.dir)
}

// Write replaces the record file with b, durably (file and directory
// fsynced), mode 0600.
func (r *Records) Write(file string, b []byte) error {
	if err := r.make(file); err != nil {
		return err
	}
	return r.sp.writeFileAtomic(r.Path(file), b, 0o600)
}

// Note replaces the record file with b like Write, without the fsyncs:
// for records whose loss in a power cut costs only a repeat (what a
// session was told: it is told again).
func (r *Records) Note(file string, b []byte) error {
	if err := r.make(file); err != nil {
		return err
	}
	return r.sp.writeAdvisory(r.Path(file), b)
}

// Lock takes the lock file (created if needed, never deleted: a process
// that opened a replacement would lock another inode) and returns its
// release. It blocks while another process holds it.
func (r *Records) Lock(file string) (unlock func(), err error) {
	if err := r.make(file); err != nil {
		return nil, err
	}
	lk, err := r.sp.openLock(r.Path(file))
	if err != nil {
		return nil, err
	}
	if err := lk.lock(); err != nil {
		lk.close()
		return nil, err
	}
	return func() { lk.close() }, nil
}

// Forget removes the record files last written before cutoff, never a
// lock file (NAME.lock), and returns how many it removed.
func (r *Records) Forget(cutoff time.Time) (int, error) {
	n, err := r.sp.removeOlder(r.dir, cutoff, func(file string) bool { return strings.HasSuffix(file, ".lock") })
	if err != nil {
		return n, fmt.Errorf("forget old records in %s: %w", r.dir, err)
	}
	return n, nil
}

// Activity returns when name's mail was last read or its name last used
// (the mark behind `ipc list`'s last seen); zero if never.
func (s *Spool) Activity(name string) time.Time { return s.activity(name) }
