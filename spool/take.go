package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// Take reads the unread messages of ents and marks them read, in the
// order of ents, as Check does what it returns: for a reader told of
// files one by one as they arrived (by a watcher of new/), which must
// show them in that order. A listing cannot give it during a burst: a
// directory read while files are renamed into it may miss one file and
// return another renamed after it, so a reader that lists and shows what
// it found shows the later one first.
//
// Files another reader took meanwhile, read mail and files still being
// written are passed over; files that are not mail of ours are
// quarantined and reported in the error, and so is an entry of another
// mailbox (wrapping ErrNotFound). taken are the messages marked read, in
// the order of ents; a reader that cannot show them after all hands them
// back with Unclaim. The directories are fsynced once, after the last.
func (mb *Mailbox) Take(ents []Entry) (taken []*Message, err error) {
	mb, release, err := mb.hold()
	if err != nil {
		return nil, err
	}
	defer release()
	unlock, err := mb.lockReadingWait()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var bad []error
	for _, e := range ents {
		m, err := mb.takeOne(e)
		switch {
		case err != nil:
			bad = append(bad, err)
		case m != nil:
			taken = append(taken, m)
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

// takeOne reads and claims the message of e; nil, nil when there is
// nothing to take.
func (mb *Mailbox) takeOne(e Entry) (*Message, error) {
	if e.Mailbox != mb.Name || (e.Dir != "new" && e.Dir != "cur") || !plainFileName(e.Name) {
		return nil, fmt.Errorf("take %s: %w: not a message file of %s", filepath.Join(e.Dir, e.Name), ErrNotFound, mb.Name)
	}
	if !e.entry().unread() {
		return nil, nil
	}
	m, err := mb.read(e.entry())
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotReady) { // taken meanwhile, or still being written
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := mb.claim(m); errors.Is(err, fs.ErrNotExist) { // another reader took it
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return m, nil
}
