package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ownerFile is the lock a live process holds on a name while it uses it.
// It is never deleted or renamed: a newcomer would lock a fresh file and
// two processes would both think they own the name.
const ownerFile = "owner.lock"

// Owner is a held claim on a name. Release it, or let the process die: the
// kernel drops the lock either way.
type Owner struct {
	Name string
	// EndedForward is the forward of a renamed name that claiming it again
	// ended: mail to Name stays with Name from now on. nil when there was
	// none in force.
	EndedForward *Forward

	lk *ownerLock
	sp *Spool
}

// Claim takes name for this process, creating its mailbox. It fails with a
// *TakenError while another live process holds it.
func (s *Spool) Claim(name string) (*Owner, error) {
	mb, _, err := s.ensureMailbox(name)
	if err != nil {
		return nil, err
	}
	name = mb.Name // the known spelling
	// Someone checking presence holds the lock for a few microseconds;
	// try a few times before calling the name taken.
	info := Holder{PID: s.pid, Since: s.clock().UTC(), Host: s.host, Session: s.session(s.pid)}
	var lk *ownerLock
	var taken Holder
	for i := 0; i < 5 && lk == nil; i++ {
		if i > 0 {
			time.Sleep(time.Duration(i) * 5 * time.Millisecond)
		}
		lk, taken, err = s.lockOwner(name, info)
		if errors.Is(err, errLockMoved) || errors.Is(err, fs.ErrNotExist) {
			// ipc forget moved the mailbox away: try the name again.
			if _, _, err = s.ensureMailbox(name); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
	}
	if lk == nil {
		return nil, &TakenError{Name: name, PID: taken.PID}
	}
	lk.touch(s.clock()) // last claim, for "last seen"
	o := &Owner{Name: name, lk: lk, sp: s}
	s.owned.Store(name, lk)
	if fw, ok := s.Forward(name); ok && s.clock().Before(fw.Until) {
		o.EndedForward = &fw
	}
	if err := s.RemoveForward(name); err != nil { // the name is in use again
		lk.close()
		return nil, err
	}
	return o, nil
}

// Release gives the name up.
func (o *Owner) Release() error {
	if o == nil || o.lk == nil {
		return nil
	}
	o.sp.owned.CompareAndDelete(o.Name, o.lk)
	err := o.lk.release(o.sp.clock()) // in the directory whose lock it is
	o.lk = nil
	return err
}

// Registered reports whether the name has ever been claimed.
func (mb *Mailbox) Registered() bool {
	ok, _ := mb.registered()
	return ok
}

// registered is Registered with the error that kept it from being told.
// The owner.lock is looked for in the held mailbox directory.
func (mb *Mailbox) registered() (bool, error) {
	box := mb.heldBox()
	if box == nil {
		h, err := mb.sp.holdBox(mb.Name)
		if err != nil {
			return false, err
		}
		defer h.close()
		if box = h.box; box == nil {
			return false, nil
		}
	}
	_, err := box.lstat(ownerFile)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("mailbox %s: %w", mb.Name, err)
}

// Presence is what is known of a name's owner.
type Presence struct {
	Online   bool
	PID      int
	Since    time.Time // when the live owner claimed it
	LastSeen time.Time // last claim, release or activity
}

// Presence reports whether a live process holds name. When the pid
// recorded in the lock names a process that is gone it answers at once;
// otherwise it tries the lock, which disturbs a concurrent Claim for only
// microseconds (Claim retries).
func (s *Spool) Presence(name string) Presence {
	name, err := s.Canonical(name)
	if err != nil {
		return Presence{}
	}
	o := s.owner(name)
	if !o.there {
		return Presence{}
	}
	p := Presence{Online: o.online, Since: o.holder.Since, LastSeen: o.touched}
	if o.online {
		p.PID = o.holder.PID
	}
	if seen := s.activity(name); seen.After(p.LastSeen) {
		p.LastSeen = seen
	}
	return p
}

// Touch records activity by name (a send or a check) for "last seen".
func (s *Spool) Touch(name string) {
	if ValidName(name) != nil {
		return
	}
	dir := s.path(dirState, "seen")
	if !s.seenDir.Load() { // once a process: it is never removed
		if s.mkdir(dir) != nil {
			return
		}
		s.seenDir.Store(true)
	}
	p := filepath.Join(dir, name)
	now := s.clock()
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		f, err := s.fs.Create(p, 0o600)
		if err != nil {
			return
		}
		f.Close()
	}
	_ = os.Chtimes(p, now, now) // the spool's clock, not the file system's
}

func (s *Spool) activity(name string) time.Time {
	fi, err := os.Stat(s.path(dirState, "seen", name))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
