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

	lk *lockFile
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
	var lk *lockFile
	var ok bool
	for i := 0; i < 5 && !ok; i++ {
		if i > 0 {
			time.Sleep(time.Duration(i) * 5 * time.Millisecond)
		}
		if lk, ok, err = s.tryHold(filepath.Join(mb.Dir, ownerFile), info); err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
		if ok && !lk.isAt(filepath.Join(mb.Dir, ownerFile)) {
			// ipc forget moved the mailbox away between the open and
			// the lock: this lock guards nothing. Try the name again.
			lk.close()
			if mb, _, err = s.ensureMailbox(name); err != nil {
				return nil, err
			}
			ok = false
		}
	}
	if !ok {
		return nil, &TakenError{Name: name, PID: readHolder(filepath.Join(mb.Dir, ownerFile)).PID}
	}
	now := s.clock()
	_ = os.Chtimes(lk.path(), now, now) // last claim, for "last seen"
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
	now := o.sp.clock()
	o.sp.dropHolder(o.lk)
	_ = os.Chtimes(o.lk.path(), now, now) // last seen
	err := o.lk.close()
	o.lk = nil
	return err
}

// Registered reports whether the name has ever been claimed.
func (mb *Mailbox) Registered() bool {
	ok, _ := mb.registered()
	return ok
}

// registered is Registered with the error that kept it from being told.
func (mb *Mailbox) registered() (bool, error) {
	_, err := os.Lstat(filepath.Join(mb.Dir, ownerFile))
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
	path := s.path(dirMail, name, ownerFile)
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return Presence{}
	}
	info, online := s.heldBy(path)
	p := Presence{Online: online, Since: info.Since, LastSeen: fi.ModTime()}
	if online {
		p.PID = info.PID
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
