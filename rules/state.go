package rules

import (
	"context"
	"errors"
	"fmt"

	"github.com/claude-ipc/ipc/spool"
)

// Mark records that the messages ids of name's mailbox reached st
// (spool.Notified when a session was woken or pushed to, spool.Surfaced
// when they reached a model's context). A message that is gone, or a
// marker that cannot be written, is skipped: the state is a report, and
// failing to record it must not undo what was told.
func (r *Rules) Mark(name string, st spool.State, ids ...string) {
	mb, err := r.sp.Mailbox(name)
	if err != nil {
		return
	}
	for _, id := range ids {
		_ = mb.Mark(id, st)
	}
}

// Progress returns how far each copy of the message sent with rc got.
func (r *Rules) Progress(rc spool.Receipt) ([]spool.Progress, error) {
	var out []spool.Progress
	var errs []error
	for _, d := range rc.Delivered {
		if d.Remote {
			continue // on another host: its progress is not seen from here
		}
		mb, err := r.sp.Mailbox(d.Mailbox)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := mb.Progress(rc.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("progress of %s in %s: %w", rc.ID, d.Mailbox, err))
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// Find returns the progress of the message id in every mailbox that holds
// a copy of it (a broadcast has many); ErrNotFound when none does.
func (r *Rules) Find(id string) ([]spool.Progress, error) {
	names, err := r.sp.Names()
	if err != nil {
		return nil, err
	}
	var out []spool.Progress
	for _, n := range names {
		mb, err := r.sp.Mailbox(n)
		if err != nil {
			continue
		}
		if p, err := mb.Progress(id); err == nil {
			out = append(out, p)
		} else if !errors.Is(err, spool.ErrNotFound) {
			return out, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no mailbox holds a message %s", spool.ErrNotFound, id)
	}
	return out, nil
}

// WatchDirs lists the directories whose changes may advance the copies of
// rc: a front end that waits (WaitFor) watches them.
func (r *Rules) WatchDirs(rc spool.Receipt) []string {
	var dirs []string
	for _, d := range rc.Delivered {
		if mb, err := r.sp.Mailbox(d.Mailbox); err == nil && !d.Remote {
			dirs = append(dirs, mb.DeliveryDirs()...)
		}
	}
	return dirs
}

// ErrNotReached is returned by WaitFor when ctx ended first.
var ErrNotReached = errors.New("delivery state not reached")

// WaitFor waits until every copy of rc has reached want, looking again
// each time changed reports that something in WatchDirs changed (the
// front end's follower feeds it). It returns the progress last seen, with
// an error matching ErrNotReached when ctx ended first.
func (r *Rules) WaitFor(ctx context.Context, rc spool.Receipt, want spool.State, changed <-chan struct{}) ([]spool.Progress, error) {
	for {
		ps, err := r.Progress(rc)
		if err != nil {
			return ps, err
		}
		if reached(ps, want) {
			return ps, nil
		}
		select {
		case <-ctx.Done():
			return ps, fmt.Errorf("%w: %w", ErrNotReached, context.Cause(ctx))
		case _, ok := <-changed:
			if !ok {
				return ps, fmt.Errorf("%w: the watch ended", ErrNotReached)
			}
		}
	}
}

// reached reports whether every copy got to want.
func reached(ps []spool.Progress, want spool.State) bool {
	for _, p := range ps {
		if p.State < want {
			return false
		}
	}
	return len(ps) > 0
}
