package spool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// A reader's claim covers only what it actually gave its user. Two ways
// keep that promise:
//
//   - Give writes first and claims after: each message is handed to the
//     caller, and marked read only once the caller says it was given (its
//     output took it). A reader killed at any instant, SIGKILL included,
//     has marked read only messages it had given.
//   - Check claims first; a reader that then cannot give what it claimed
//     (its client went away) puts it back with Unclaim.
//
// Both hold the mailbox's reading lock (readers.lock, flock(2)) while they
// choose and claim, so a message Give has given but not yet claimed is
// never given by another reader too: two ipc readers never both get one.

// readersLock is the flock readers of a mailbox hold; never deleted.
const readersLock = "readers.lock"

// ErrReaderBusy reports that another reader held the mailbox's reading
// lock for longer than a reader waits.
var ErrReaderBusy = errors.New("another reader is reading this mailbox")

// checkWait is how long Check waits for the reading lock before giving up
// with ErrReaderBusy (a Give blocked on an output nobody reads holds it).
const checkWait = 5 * time.Second

// lockReadingWait takes the mailbox's reading lock, waiting up to
// checkWait for it, as a reader that was not given a context does.
func (mb *Mailbox) lockReadingWait() (unlock func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkWait)
	defer cancel()
	return mb.lockReading(ctx)
}

// lockReading takes the mailbox's reading lock, waiting while ctx lasts.
// A mailbox that does not exist has nothing to read: no lock is needed,
// and none is made (readers create nothing). The lock file is opened in
// the held mailbox directory (dirs.go), never through a link, and locked
// through that descriptor (flock(2), as gofrs/flock locks).
func (mb *Mailbox) lockReading(ctx context.Context) (unlock func(), err error) {
	mb, release, err := mb.hold()
	if err != nil {
		return nil, err
	}
	defer release()
	if mb.held.box == nil {
		return func() {}, nil
	}
	lk, err := mb.held.box.openFile(readersLock, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: open lock: %w", mb.Name, err)
	}
	wait := time.Millisecond
	for {
		ok, err := platform.TryLock(lk)
		if err != nil {
			lk.Close()
			return nil, fmt.Errorf("read %s: %w", mb.Name, err)
		}
		if ok {
			return func() { lk.Close() }, nil
		}
		select {
		case <-ctx.Done():
			lk.Close()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("read %s: %w; try again once it is done", mb.Name, ErrReaderBusy)
			}
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// Give hands the mailbox's unread messages to give, oldest first, one at a
// time, and marks each read only after give returned nil for it. give sees
// each message as it will be once read (Path in cur/, Flags with S); the
// messages returned are where they are. It stops
// at the first error give returns (that message stays unread) and returns
// it; it stops when ctx is done too, with ctx's error. opts.Limit bounds
// how many are given; opts.Peek and opts.All are ignored. given are the
// messages given and marked read. A message another program marked read
// meanwhile counts as given all the same (it was shown); one a mail client
// moved to cur/ unread meanwhile is claimed there (claimMoved). Files that are
// not mail of ours are quarantined and reported in the error, as Check
// does.
func (mb *Mailbox) Give(ctx context.Context, opts CheckOptions, give func(*Message) error) (given []*Message, err error) {
	mb, release, err := mb.hold() // the whole batch under one set of held directories
	if err != nil {
		return nil, err
	}
	defer release()
	unlock, err := mb.lockReading(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var bad []error
	defer func() {
		if len(given) > 0 {
			if serr := mb.syncDirs(); serr != nil {
				bad = append(bad, serr)
			}
			mb.sp.Touch(mb.Name)
		}
		err = errors.Join(append([]error{err}, bad...)...)
	}()
	// Each message is read only when its turn comes: giving the oldest
	// few of a million reads a few.
	var stop error
	err = mb.eachOldest(opts.Limit, &bad, func(m *Message) bool {
		if stop = ctx.Err(); stop != nil {
			return false
		}
		if stop = give(shownRead(m, mb)); stop != nil {
			return false
		}
		cerr := mb.claim(m)
		if errors.Is(cerr, fs.ErrNotExist) {
			cerr = mb.claimMoved(m)
		}
		switch {
		case cerr == nil:
			m.claimedFrom = "" // given: never put back
			given = append(given, m)
		default:
			bad = append(bad, cerr)
		}
		return opts.Limit <= 0 || len(given) < opts.Limit
	})
	if err == nil {
		err = stop
	}
	return given, err
}

// claimMoved claims m where its file went when it moved between being
// given and claimed: a mail client (Dovecot, mutt) moves the mail it
// lists to cur/ without S, and mail that was given must not stay unread
// there, to be given again. A file that left the mailbox, or was marked
// read meanwhile, needs nothing.
func (mb *Mailbox) claimMoved(m *Message) error {
	key := entryAt(m.Path).key()
	var moved *entry
	err := mb.eachName("cur", func(n string) {
		if e := (entry{dir: "cur", name: n}); moved == nil && e.key() == key && e.unread() {
			moved = &e
		}
	})
	if err != nil || moved == nil {
		return err
	}
	at := *m
	at.Path, at.Flags = mb.path(*moved), moved.flags()
	switch err := mb.claim(&at); {
	case err == nil:
		m.Path, m.Flags = at.Path, at.Flags
	case !errors.Is(err, fs.ErrNotExist): // moved once more: left as it is
		return err
	}
	return nil
}

// shownRead returns a copy of the unread m as it will be once claimed: in
// cur/ with S added to its flags.
func shownRead(m *Message, mb *Mailbox) *Message {
	e := entryAt(m.Path)
	c := *m
	c.Flags = e.flags().With(FlagSeen)
	c.Path = filepath.Join(mb.CurDir(), e.key()+flagInfo(c.Flags))
	return &c
}
