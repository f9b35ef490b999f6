package spool

import (
	"errors"
)

// ErrLostLock reports that the lock a process holds is no longer the file
// at its path (the spool directory was deleted or the file replaced): a
// newcomer would lock the new file, so the holder must stop leading.
var ErrLostLock = errors.New("lock file replaced or removed")

// leaderFile is the lock the leader holds. Like owner.lock it is created
// once and never deleted or renamed: a newcomer would lock a fresh file and
// there would be two leaders.
const leaderFile = "spool.lock"

// Leadership is a held spool.lock. Release it, or let the process die: the
// kernel drops the lock either way and another process takes over.
type Leadership struct {
	sp   *Spool
	lk   *lockFile
	Info Holder
}

// TryLead takes spool.lock if no other live process holds it. ok is false
// (with a nil error) while someone else leads.
func (s *Spool) TryLead() (l *Leadership, ok bool, err error) {
	info := Holder{PID: s.pid, Since: s.clock().UTC(), Host: s.host}
	lk, ok, err := s.tryHold(s.path(leaderFile), info)
	if err != nil || !ok {
		return nil, false, err
	}
	return &Leadership{sp: s, lk: lk, Info: info}, true, nil
}

// Check reports whether the lock held is still the file at spool.lock: an
// error matching ErrLostLock when the spool (or the file) was deleted or
// replaced under the leader, so that it stops before a second leader,
// locking the new file, starts.
func (l *Leadership) Check() error {
	if l == nil || l.lk == nil {
		return ErrLostLock
	}
	return l.lk.check()
}

// Release gives leadership up; another process may take it at once. The
// record is emptied first, while the lock is still held, so that a process
// that goes on living is not reported as leader.
func (l *Leadership) Release() error {
	if l == nil || l.lk == nil {
		return nil
	}
	l.sp.dropHolder(l.lk)
	err := l.lk.close()
	l.lk = nil
	return err
}

// Leader reports the live process leading the spool, if any. It trusts the
// recorded pid only when that process is alive and the lock is really held,
// so a stale file or a reused pid is not mistaken for a leader.
func (s *Spool) Leader() (Holder, bool) {
	h, ok := s.heldBy(s.path(leaderFile))
	if !ok {
		return Holder{}, false
	}
	return h, true
}
