package spool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// Take marks read the unread messages given, in their order, as Check
// marks what it returns: for a reader told of messages one by one as they
// arrived (by a watcher of new/), which must show them in that order. A
// listing cannot give it during a burst: a directory read while files are
// renamed into it may miss one file and return another renamed after it,
// so a reader that lists and shows what it found shows the later one
// first.
//
// Messages another reader took meanwhile, or that left the mailbox, are
// left out, and so are those of another mailbox (with an error wrapping
// ErrNotFound); taken are the others, in the order given, with Path and Flags
// as they are now. A reader that cannot show them after all hands them
// back with Unclaim. The directories are fsynced once, after the last.
func (mb *Mailbox) Take(msgs []*Message) (taken []*Message, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkWait)
	unlock, err := mb.lockReading(ctx)
	cancel()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var bad []error
	for _, m := range msgs {
		if dir := filepath.Dir(m.Path); dir != mb.NewDir() && dir != mb.CurDir() {
			bad = append(bad, fmt.Errorf("take %s: %w: not a message of %s", m.ID, ErrNotFound, mb.Name))
			continue
		}
		switch err := mb.claim(m); {
		case err == nil:
			taken = append(taken, m)
		case errors.Is(err, fs.ErrNotExist): // another reader took it
		default:
			bad = append(bad, err)
		}
	}
	if len(taken) > 0 {
		if err := mb.syncDirs(); err != nil {
			bad = append(bad, err)
		}
		mb.sp.Touch(mb.Name)
	}
	return taken, errors.Join(bad...)
}
