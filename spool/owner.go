package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gofrs/flock"
)

// ownerFile is the lock a live process holds on a name while it uses it.
// It is never deleted or renamed: a newcomer would lock a fresh file and
// two processes would both think they own the name.
const ownerFile = "owner.lock"

// OwnerInfo is what the owner of a name writes into its lock file.
type OwnerInfo struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
	Host  string    `json:"host"`
}

// Owner is a held claim on a name. Release it, or let the process die: the
// kernel drops the lock either way.
type Owner struct {
	Name string
	lk   *flock.Flock
	sp   *Spool
}

// Claim takes name for this process, creating its mailbox. It fails with a
// *TakenError while another live process holds it.
func (s *Spool) Claim(name string) (*Owner, error) {
	mb, _, err := s.ensureMailbox(name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(mb.Dir, ownerFile)
	lk := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR))
	// Someone checking presence holds the lock for a few microseconds;
	// try a few times before calling the name taken.
	var ok bool
	for i := 0; i < 5 && !ok; i++ {
		if i > 0 {
			time.Sleep(time.Duration(i) * 5 * time.Millisecond)
		}
		if ok, err = lk.TryLock(); err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
	}
	if !ok {
		return nil, &TakenError{Name: name, PID: s.ownerInfo(name).PID}
	}
	if err := s.RemoveForward(name); err != nil { // the name is in use again
		lk.Unlock()
		return nil, err
	}
	info, _ := json.Marshal(OwnerInfo{PID: s.pid, Since: s.clock().UTC(), Host: s.host})
	if err := os.WriteFile(path, append(info, '\n'), 0o600); err != nil {
		lk.Unlock()
		return nil, fmt.Errorf("claim %s: %w", name, err)
	}
	return &Owner{Name: name, lk: lk, sp: s}, nil
}

// Release gives the name up.
func (o *Owner) Release() error {
	if o == nil || o.lk == nil {
		return nil
	}
	now := o.sp.clock()
	_ = os.Chtimes(o.lk.Path(), now, now) // last seen
	return o.lk.Unlock()
}

// ownerInfo reads the lock file of name; zero when absent or unreadable.
func (s *Spool) ownerInfo(name string) OwnerInfo {
	var info OwnerInfo
	b, err := os.ReadFile(s.path(dirMail, name, ownerFile))
	if err == nil {
		_ = json.Unmarshal(b, &info)
	}
	return info
}

// Registered reports whether the name has ever been claimed.
func (mb *Mailbox) Registered() bool {
	_, err := os.Lstat(filepath.Join(mb.Dir, ownerFile))
	return err == nil
}

// Presence is what is known of a name's owner.
type Presence struct {
	Online   bool
	PID      int
	Since    time.Time // when the live owner claimed it
	LastSeen time.Time // last claim, release or activity
}

// Presence reports whether a live process holds name. It looks at the pid
// recorded in the lock first and only tries the lock when that process is
// alive, so checking is cheap and rarely disturbs a claim.
func (s *Spool) Presence(name string) Presence {
	path := s.path(dirMail, name, ownerFile)
	fi, err := os.Stat(path)
	if err != nil {
		return Presence{}
	}
	info := s.ownerInfo(name)
	p := Presence{PID: info.PID, Since: info.Since, LastSeen: fi.ModTime()}
	if seen := s.activity(name); seen.After(p.LastSeen) {
		p.LastSeen = seen
	}
	if info.PID <= 0 || !alive(info.PID) {
		p.PID = 0
		return p
	}
	lk := flock.New(path, flock.SetFlag(os.O_RDWR))
	got, err := lk.TryLock()
	if err == nil && got {
		lk.Unlock()
		p.PID = 0
		return p
	}
	p.Online = err == nil
	return p
}

// alive reports whether a process with pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Touch records activity by name (a send or a check) for "last seen".
func (s *Spool) Touch(name string) {
	if ValidName(name) != nil {
		return
	}
	dir := s.path(dirState, "seen")
	if s.mkdir(dir) != nil {
		return
	}
	p := filepath.Join(dir, name)
	now := s.clock()
	if os.Chtimes(p, now, now) != nil && os.WriteFile(p, nil, 0o600) == nil {
		_ = os.Chtimes(p, now, now) // the spool's clock, not the file system's
	}
}

func (s *Spool) activity(name string) time.Time {
	fi, err := os.Stat(s.path(dirState, "seen", name))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
