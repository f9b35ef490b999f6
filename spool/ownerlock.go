package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// The owner lock. A name's owner.lock and the owner.holder record beside
// it are reached only through the mailbox directory held open (dirs.go):
// mail/ then mail/NAME, opened without following a link. The lock file
// is opened (created the first time) relative to the held mail/NAME,
// locked through that descriptor (platform.TryLock: flock(2), LockFileEx
// on Windows), and the directory stays held with the lock, so that the
// holder record is written (a temporary file, then a rename) and removed
// in the directory whose lock is held, and the "last seen" time is set
// on the locked file itself. A link swapped into mail/NAME while a name
// is registered, released or forgotten is never followed: no lock file
// is made or locked, and no record written or removed, in the directory
// it points to.

// ownerHolder is the record beside owner.lock of who holds it.
const ownerHolder = "owner.holder"

// errLockMoved is a lock taken on an owner.lock that is no longer the one
// at mail/NAME (ipc forget moved the mailbox away between the open and
// the lock): it guards nothing, and the name is to be tried again.
var errLockMoved = errors.New("owner lock moved away while it was taken")

// ownerLock is a name's owner.lock held by this process, with the mailbox
// directory it is in.
type ownerLock struct {
	f   *os.File
	box dir
}

// close drops the lock (closing the descriptor drops it) and the
// directory.
func (l *ownerLock) close() error {
	err := l.f.Close()
	l.box.close()
	return err
}

// touch sets the lock's modification time, the name's "last seen".
func (l *ownerLock) touch(t time.Time) { _ = platform.SetModTime(l.f, t) }

// holdBox holds mail/ and mail/NAME alone (not its folders); box is nil
// when the mailbox is not there.
func (s *Spool) holdBox(name string) (*held, error) {
	h := &held{name: name}
	parent, err := s.openDir(s.path(dirMail))
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, h.refused(err)
	}
	h.parent = parent
	box, err := parent.sub(name)
	if err := h.take(box, err); err != nil {
		return nil, err
	}
	h.box = box
	return h, nil
}

// lockOwner takes name's owner.lock if it is free and records rec beside
// it. lk is nil, with a nil error, while a live process holds it: taken
// is then what it recorded. An error matching errLockMoved or
// fs.ErrNotExist means the mailbox was forgotten meanwhile.
func (s *Spool) lockOwner(name string, rec Holder) (lk *ownerLock, taken Holder, err error) {
	h, err := s.holdBox(name)
	if err != nil {
		return nil, Holder{}, err
	}
	box := h.box
	h.box = nil // kept with the lock
	h.close()
	if box == nil {
		return nil, Holder{}, errMissing(&Mailbox{Name: name, Dir: s.path(dirMail, name)}, "")
	}
	f, err := box.openFile(ownerFile, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		box.close()
		return nil, Holder{}, fmt.Errorf("open lock: %w", err)
	}
	lk = &ownerLock{f: f, box: box}
	ok, err := platform.TryLock(f)
	if err != nil || !ok {
		taken = readHolderIn(box)
		lk.close()
		return nil, taken, err
	}
	if !s.lockedAt(f, name) {
		lk.close()
		return nil, Holder{}, errLockMoved
	}
	if err := writeHolderIn(box, rec); err != nil {
		lk.close()
		return nil, Holder{}, fmt.Errorf("record holder of %s: %w", box.join(ownerFile), err)
	}
	return lk, Holder{}, nil
}

// lockedAt reports whether f is still the owner.lock of mail/NAME, found
// again through freshly held directories (forget moves a mailbox aside).
func (s *Spool) lockedAt(f *os.File, name string) bool {
	h, err := s.holdBox(name)
	if err != nil {
		return false
	}
	defer h.close()
	return h.box != nil && isLockIn(f, h.box)
}

// isLockIn reports whether f is the owner.lock in the held box.
func isLockIn(f *os.File, box dir) bool {
	g, err := box.open(ownerFile)
	if err != nil {
		return false
	}
	defer g.Close()
	a, errA := f.Stat()
	b, errB := g.Stat()
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// release removes the holder record while the lock is still held, so
// that a process that goes on living is not reported as the holder, sets
// "last seen" and drops the lock.
func (l *ownerLock) release(now time.Time) error {
	_ = l.box.remove(ownerHolder)
	l.touch(now)
	return l.close()
}

// writeHolderIn replaces the holder record in the held box by a rename,
// so that a reader sees the previous record or this one, never a part.
// It is advisory (the lock is the truth), so it is not fsynced.
func writeHolderIn(box dir, h Holder) (err error) {
	b, _ := json.Marshal(h)
	tmp := "." + ownerHolder + ".tmp" + newID() // a dot name: listings skip it
	f, err := box.create(tmp, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = box.remove(tmp)
		}
	}()
	if _, err = f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return box.rename(tmp, box, ownerHolder)
}

// readHolderIn reads the holder record in the held box; zero when absent
// or damaged.
func readHolderIn(box dir) Holder {
	var h Holder
	f, err := box.open(ownerHolder)
	if err != nil {
		return h
	}
	defer f.Close()
	if b, err := io.ReadAll(io.LimitReader(f, 1<<20)); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}

// ownerState is what name's owner.lock says, read in the held mailbox
// directory: whether it is there (a regular file: the name was
// registered), its modification time ("last seen"), and who holds it if a
// live process does.
type ownerState struct {
	there   bool
	touched time.Time
	holder  Holder
	online  bool
}

// owner reads name's ownerState. A record is only a claim: when its pid
// names a process that is gone it answers at once; otherwise it tries
// the lock, disturbing a concurrent claim for only microseconds (Claim
// retries), and a record without a held lock is stale. Nothing is
// created: a name never registered has no lock to try.
func (s *Spool) owner(name string) ownerState {
	h, err := s.holdBox(name)
	if err != nil {
		return ownerState{}
	}
	defer h.close()
	if h.box == nil {
		return ownerState{}
	}
	st, err := h.box.lstat(ownerFile)
	if err != nil || !st.Type.IsRegular() {
		return ownerState{}
	}
	o := ownerState{there: true, touched: st.ModTime, holder: readHolderIn(h.box)}
	if o.holder.PID > 0 && !platform.Alive(o.holder.PID) {
		return o
	}
	f, err := h.box.open(ownerFile)
	if err != nil {
		return o
	}
	defer f.Close()
	got, err := platform.TryLock(f)
	o.online = err == nil && !got
	return o
}
