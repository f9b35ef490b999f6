package follow

import (
	"path/filepath"
	"sync"

	"github.com/claude-ipc/ipc/spool"
)

// Feed is one consumer's stream of Events from the mailboxes and
// directories it follows. Its methods are safe for concurrent use.
type Feed struct {
	f    *Follower
	out  chan Event
	opts FeedOptions

	mu     sync.Mutex
	queue  []Event // what the reader has not taken yet
	closed bool

	wake chan struct{} // buffered 1: the queue grew
	stop chan struct{} // closed by halt
	once sync.Once
	done chan struct{} // closed when the feed's goroutine has returned
}

// FeedOptions choose what a Feed reports of the mailboxes it follows.
// The zero value reports everything, read.
type FeedOptions struct {
	// Arrivals: Follow reports only mail that becomes unread from now on,
	// not what is unread already: a consumer that lists that itself,
	// reading only what it needs (spool.Mailbox.Oldest), pays nothing for
	// a mailbox of a million. A mailbox that appears later is reported
	// whole (all of it is new). A rescan (Follower.Rescan, a kernel queue
	// overflow) still reports every file present, by name only (no
	// Message is read) and with Event.Rescan set: the consumer lists what
	// it needs itself, as it did at Follow.
	Arrivals bool
	// NamesOnly: Events of followed mailboxes carry the file's name and no
	// Message (and no Err): nothing is read for this feed.
	NamesOnly bool
}

// names says whether a report of a followed mailbox's file, found by
// rescan number rescan (0: it arrived), carries the name alone.
func (o FeedOptions) names(rescan uint64) bool { return o.NamesOnly || (o.Arrivals && rescan != 0) }

func newFeed(f *Follower, opts FeedOptions) *Feed {
	fd := &Feed{
		f:    f,
		opts: opts,
		out:  make(chan Event),
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go fd.run()
	return fd
}

// Events returns the channel the Feed's Events arrive on, in the order
// they were noticed. It is closed when the Feed or its Follower closes.
func (fd *Feed) Events() <-chan Event { return fd.out }

// Follow adds the mailbox name: each message that becomes unread in it is
// reported, starting with those unread now (unless the Feed was opened
// for Arrivals). Unread means without the S
// flag, in new/ (an arrival) or in cur/ (listed by a mail client, or a
// person cleared S). A mailbox that does not exist yet is reported from
// when it appears. Following a name twice needs two Unfollows; each
// Follow reports the unread mail again.
func (fd *Feed) Follow(name string) error {
	mb, err := fd.f.sp.Mailbox(name)
	if err != nil {
		return err
	}
	dirs := mailDirs(mb)
	for i, dir := range dirs {
		scan, err := fd.f.add(fd, dir, mb)
		if err != nil {
			for _, done := range dirs[:i] {
				fd.f.remove(fd, done, true)
			}
			return err
		}
		if scan && !fd.opts.Arrivals {
			fd.f.scan(fd, dir, mb)
		}
	}
	return nil
}

// mailDirs are the directories of mb where unread mail lies.
func mailDirs(mb *spool.Mailbox) []string {
	return []string{filepath.Clean(mb.NewDir()), filepath.Clean(mb.CurDir())}
}

// Unfollow undoes one Follow of name. Events already queued may still
// arrive.
func (fd *Feed) Unfollow(name string) {
	mb, err := fd.f.sp.Mailbox(name)
	if err != nil {
		return
	}
	for _, dir := range mailDirs(mb) {
		fd.f.remove(fd, dir, true)
	}
}

// Follows reports whether the Feed follows the mailbox name.
func (fd *Feed) Follows(name string) bool {
	mb, err := fd.f.sp.Mailbox(name)
	if err != nil {
		return false
	}
	return fd.f.follows(fd, filepath.Clean(mb.NewDir()))
}

// FollowAll follows every mailbox of the spool, those there now and each
// one created later (looked for on every poll interval), as Follow does.
// It is for front ends that show every mailbox (a web inbox, a bridge).
func (fd *Feed) FollowAll() error { return fd.f.followAll(fd) }

// Watch adds a plain directory (the leader's outbox/new/, forwards/):
// every complete file that appears in it is reported by name, starting
// with those present now, without being read. A directory that does not
// exist yet is reported from when it appears.
func (fd *Feed) Watch(dir string) error {
	dir = filepath.Clean(dir)
	scan, err := fd.f.add(fd, dir, nil)
	if scan {
		fd.f.scan(fd, dir, nil)
	}
	return err
}

// Unwatch undoes one Watch of dir.
func (fd *Feed) Unwatch(dir string) { fd.f.remove(fd, filepath.Clean(dir), false) }

// Close stops the Feed: it follows nothing more, its channel is closed
// and, when Close returns, its goroutine is gone. It may be called more
// than once.
func (fd *Feed) Close() {
	fd.f.detach(fd)
	fd.halt()
}

// halt stops the feed's goroutine and waits for it.
func (fd *Feed) halt() {
	fd.once.Do(func() {
		fd.mu.Lock()
		fd.closed = true
		fd.queue = nil
		fd.mu.Unlock()
		close(fd.stop)
	})
	<-fd.done
}

func (fd *Feed) isClosed() bool {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.closed
}

// push queues ev for the reader; it never blocks.
func (fd *Feed) push(ev Event) {
	fd.mu.Lock()
	if fd.closed {
		fd.mu.Unlock()
		return
	}
	fd.queue = append(fd.queue, ev)
	fd.mu.Unlock()
	select {
	case fd.wake <- struct{}{}:
	default:
	}
}

// run hands queued events to the reader until halted, then closes the
// channel.
func (fd *Feed) run() {
	defer close(fd.done)
	defer close(fd.out)
	for {
		ev, ok := fd.head()
		if !ok {
			select {
			case <-fd.wake:
				continue
			case <-fd.stop:
				return
			}
		}
		select {
		case fd.out <- ev:
			fd.pop()
		case <-fd.stop:
			return
		}
	}
}

func (fd *Feed) head() (Event, bool) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if len(fd.queue) == 0 {
		return Event{}, false
	}
	return fd.queue[0], true
}

func (fd *Feed) pop() {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if len(fd.queue) == 0 {
		return
	}
	fd.queue[0] = Event{}
	fd.queue = fd.queue[1:]
	if len(fd.queue) == 0 {
		fd.queue = nil // let the backing array go after a burst
	}
}
