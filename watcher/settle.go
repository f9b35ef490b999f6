package watcher

import (
	"os"
	"time"
)

// settling is a file being written in place. It is reported when, at due,
// it is non-empty and its size is still the size seen when due was set.
// With inotify every Write pushes due back, so due passing also means no
// write for Settle. Knowing whether anyone still has the file open for
// writing would need a walk of /proc/*/fd: too costly, so size it is.
type settling struct {
	size int64
	due  time.Time // zero: empty, waiting for a Write (inotify only)
}

// settle starts or restarts the settle check of k.
func (l *loop) settle(k fileKey, size int64, due time.Time) {
	p := l.pending[k]
	if p == nil {
		p = &settling{}
		l.pending[k] = p
	}
	p.size, p.due = size, due
	l.arm(due)
}

// wake runs when the timer fires: overdue checks, then the timer again.
func (l *loop) wake(now time.Time) {
	l.checkMark(now)
	var next time.Time
	for k, p := range l.pending {
		if p.due.IsZero() {
			continue
		}
		if !p.due.After(now) && !l.recheck(k, p, now) {
			continue
		}
		next = earliest(next, p.due)
	}
	l.arm(next)
	if l.barrier.inFlight {
		l.arm(l.barrier.sentAt.Add(barrierTimeout))
	}
}

// recheck reports k if its size settled, else sets a new due. It says
// whether k is still pending.
func (l *loop) recheck(k fileKey, p *settling, now time.Time) bool {
	fi, err := os.Lstat(k.path())
	switch {
	case err != nil || !fi.Mode().IsRegular():
		delete(l.pending, k) // taken away
		return false
	case fi.Size() > 0 && fi.Size() == p.size:
		delete(l.pending, k)
		l.emit(k)
		return false
	case fi.Size() == 0 && !l.polling:
		p.size, p.due = 0, time.Time{} // emptied again: its next Write rearms
	case fi.Size() == 0:
		p.size, p.due = 0, now.Add(l.opts.PollInterval) // no Writes to wait for: look again later
	default:
		p.size, p.due = fi.Size(), now.Add(l.opts.Settle)
	}
	return true
}

// arm makes the timer fire at t, unless it already fires earlier.
func (l *loop) arm(t time.Time) {
	if t.IsZero() || (!l.timerAt.IsZero() && !t.Before(l.timerAt)) {
		return
	}
	l.timerAt = t
	l.timer.Reset(time.Until(t))
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
