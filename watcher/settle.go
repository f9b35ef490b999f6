package watcher

import (
	"time"

	"github.com/claude-ipc/ipc/internal/inplace"
)

// settling is a file being written in place. At due it is checked by the
// one rule for files written in place (internal/inplace: not open for
// writing where the system can tell, else left alone for inplace.Quiet)
// and reported once complete; until then it is looked at every Settle.
// With inotify every Write pushes due back, so a file still growing is not
// even looked at.
type settling struct {
	due time.Time // zero: waiting for a Write
}

// settle starts or restarts the settle check of k.
func (l *loop) settle(k fileKey, due time.Time) {
	p := l.pending[k]
	if p == nil {
		p = &settling{}
		l.pending[k] = p
	}
	p.due = due
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

// recheck reports k if it is complete, else sets a new due. It says
// whether k is still pending.
func (l *loop) recheck(k fileKey, p *settling, now time.Time) bool {
	switch inplace.Check(k.path(), now) {
	case inplace.Gone:
		delete(l.pending, k) // taken away
		return false
	case inplace.Complete:
		delete(l.pending, k)
		l.emit(k, 0)
		return false
	}
	p.due = now.Add(l.opts.Settle)
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
