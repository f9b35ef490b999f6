package spool

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// leaderFile is the lock the leader holds. Like owner.lock it is created
// once and never deleted or renamed: a newcomer would lock a fresh file and
// there would be two leaders.
const leaderFile = "spool.lock"

// LeaderInfo is what the leader writes into spool.lock.
type LeaderInfo struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
	Host  string    `json:"host,omitempty"`
}

// Leadership is a held spool.lock. Release it, or let the process die: the
// kernel drops the lock either way and another process takes over.
type Leadership struct {
	lk   *flock.Flock
	Info LeaderInfo
}

// TryLead takes spool.lock if no other live process holds it. ok is false
// (with a nil error) while someone else leads.
func (s *Spool) TryLead() (l *Leadership, ok bool, err error) {
	path := s.path(leaderFile)
	lk := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err = lk.TryLock()
	if err != nil {
		return nil, false, fmt.Errorf("spool: lock %s: %w", path, err)
	}
	if !ok {
		return nil, false, nil
	}
	info := LeaderInfo{PID: s.pid, Since: s.clock().UTC(), Host: s.host}
	b, _ := json.Marshal(info)
	// Written in place, not by rename: the lock file must keep its inode.
	// A reader that catches it half-written sees no leader for an instant.
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		lk.Unlock()
		return nil, false, fmt.Errorf("spool: record leader in %s: %w", path, err)
	}
	return &Leadership{lk: lk, Info: info}, true, nil
}

// Release gives leadership up; another process may take it at once. The
// record is emptied first, while the lock is still held, so that a process
// that goes on living is not reported as leader.
func (l *Leadership) Release() error {
	if l == nil || l.lk == nil {
		return nil
	}
	_ = os.Truncate(l.lk.Path(), 0)
	return l.lk.Unlock()
}

// Leader reports the live process leading the spool, if any. It trusts the
// recorded pid only when that process is alive and the lock is really held,
// so a stale file or a reused pid is not mistaken for a leader.
func (s *Spool) Leader() (LeaderInfo, bool) {
	path := s.path(leaderFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return LeaderInfo{}, false
	}
	var info LeaderInfo
	if json.Unmarshal(b, &info) != nil || info.PID <= 0 || !alive(info.PID) {
		return LeaderInfo{}, false
	}
	lk := flock.New(path, flock.SetFlag(os.O_RDWR))
	got, err := lk.TryLock()
	if err != nil {
		return LeaderInfo{}, false
	}
	if got { // nobody holds it: the recorded leader is gone
		lk.Unlock()
		return LeaderInfo{}, false
	}
	return info, true
}
