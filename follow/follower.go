package follow

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// ErrClosed is returned by Follow and Watch once the Feed or its Follower
// has been closed.
var ErrClosed = errors.New("follow: closed")

// Event reports one file that appeared: in a followed mailbox, a message
// that became unread (Message, or Err when it is not mail); in a watched
// directory, just the file.
type Event struct {
	Name    string         // the followed mailbox's name; "" for a watched directory
	Dir     string         // the directory the file appeared in (filepath.Clean'd)
	File    string         // the file's base name
	Message *spool.Message // the message, read but not claimed; nil for a watched directory, with Err, and in the cases FeedOptions say
	Err     error          // why the file is not shown as mail (*spool.QuarantineError when it was moved aside)

	// Rescan is nonzero when the file was found by a rescan of what is
	// present (Follower.Rescan, a kernel queue overflow, a switch to
	// polling, a lost directory back), not seen arriving: it may have
	// been reported before. Each rescan has its own number, counting up,
	// so one rescan's reports can be told from the next one's
	// (watcher.Event.Rescan).
	Rescan uint64
}

// Options tune a Follower. The zero value is fine.
type Options struct {
	Watcher watcher.Options // how files are noticed (inotify or polling); its PollInterval also paces the look for missing mailboxes
}

// Follower is a process's one watcher over the mailboxes and directories
// its Feeds follow. Its methods are safe for concurrent use.
type Follower struct {
	sp   *spool.Spool
	w    *watcher.Watcher
	log  *slog.Logger
	poll time.Duration

	mu      sync.Mutex
	sources map[string]*source // by directory
	feeds   map[*Feed]struct{}
	all     map[*Feed]map[string]bool // feeds that follow every mailbox → the names they follow so far
	closed  bool

	plainCur sync.Map // cur/ dir → how many plain watches it has (see keep); written under mu

	cancel context.CancelFunc
	done   chan struct{} // closed when the dispatch goroutine has returned
}

// source is one watched directory and the feeds that follow it.
type source struct {
	dir     string
	mb      *spool.Mailbox // set while any feed follows it as a mailbox
	refs    map[*Feed]*ref
	missing bool // not there yet: looked for on every poll interval
}

// ref counts how often one feed follows a source, and how.
type ref struct {
	n    int
	mail int // of n, how many as a mailbox
}

const defaultPoll = 250 * time.Millisecond

// New starts a Follower over sp. It stops when ctx is done or Close is
// called. On a spool whose file system raises no notifications for
// changes made elsewhere (spool.FileSystem.Poll: NFS, SMB, 9p) it polls.
func New(ctx context.Context, sp *spool.Spool, opts Options) (*Follower, error) {
	f := &Follower{
		sp:      sp,
		log:     opts.Watcher.Logger,
		poll:    opts.Watcher.PollInterval,
		sources: map[string]*source{},
		feeds:   map[*Feed]struct{}{},
		all:     map[*Feed]map[string]bool{},
		done:    make(chan struct{}),
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if opts.Watcher.Filter == nil {
		opts.Watcher.Filter = f.keep
	}
	if sp.FileSystem().Poll() { // a network file system: see spool.FileSystem
		opts.Watcher.Poll = true
	}
	w, err := watcher.New(ctx, opts.Watcher)
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	f.w = w
	if f.poll <= 0 {
		f.poll = defaultPoll
	}
	ctx, f.cancel = context.WithCancel(ctx)
	go f.run(ctx)
	return f, nil
}

// Open returns a new Feed that follows nothing yet.
func (f *Follower) Open() *Feed { return f.OpenWith(FeedOptions{}) }

// OpenWith returns a new Feed that follows nothing yet and reports as opts
// say.
func (f *Follower) OpenWith(opts FeedOptions) *Feed {
	fd := newFeed(f, opts)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		fd.halt()
		return fd
	}
	f.feeds[fd] = struct{}{}
	return fd
}

// Follow opens a Feed following the mailbox name: Open, then Feed.Follow.
func (f *Follower) Follow(name string) (*Feed, error) {
	fd := f.Open()
	if err := fd.Follow(name); err != nil {
		fd.Close()
		return nil, err
	}
	return fd, nil
}

// Rescan reports every file in every followed directory again, to every
// Feed (after the caller lost track, say), each Event marked with the
// rescan's number (Event.Rescan; to an Arrivals feed by name only). It
// does not wait.
func (f *Follower) Rescan() { f.w.Rescan() }

// Polling reports whether the Follower polls instead of using the system's
// notifications.
func (f *Follower) Polling() bool { return f.w.Polling() }

// Mode reports how the Follower's watcher learns of files
// (watcher.ModeEvents, ModeDirectory or ModePoll).
func (f *Follower) Mode() watcher.Mode { return f.w.Mode() }

// Stats returns the counters of the Follower's watcher.
func (f *Follower) Stats() watcher.Stats { return f.w.Stats() }

// Close stops the Follower and closes every Feed. When it returns no
// goroutine of the Follower or its Feeds remains. It may be called more
// than once.
func (f *Follower) Close() error {
	f.cancel()
	<-f.done
	return f.w.Close()
}

// run dispatches the watcher's events until ctx is done, then closes
// every feed.
func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	defer f.shutdown()
	tick := time.NewTicker(f.poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-f.w.Events():
			if !ok {
				return
			}
			f.dispatch(ev)
		case <-tick.C:
			f.lookForMissing()
			f.followNewMailboxes()
		}
	}
}

// shutdown closes every feed; nothing can follow anything afterwards.
func (f *Follower) shutdown() {
	f.mu.Lock()
	f.closed = true
	feeds := f.feeds
	f.feeds = map[*Feed]struct{}{}
	f.all = map[*Feed]map[string]bool{}
	f.sources = map[string]*source{}
	f.mu.Unlock()
	for fd := range feeds {
		fd.halt()
	}
}

// dispatch hands one watcher event to the feeds of its directory, reading
// the message once for all of them.
func (f *Follower) dispatch(wev watcher.Event) {
	dir := filepath.Clean(wev.Dir)
	f.mu.Lock()
	src := f.sources[dir]
	if src == nil {
		f.mu.Unlock()
		return // unfollowed meanwhile
	}
	mb := src.mb
	var mail, names, plain []*Feed
	for fd, r := range src.refs {
		switch {
		case r.mail > 0 && fd.opts.names(wev.Rescan):
			names = append(names, fd)
		case r.mail > 0:
			mail = append(mail, fd)
		}
		if r.n > r.mail {
			plain = append(plain, fd)
		}
	}
	f.mu.Unlock()
	for _, fd := range plain {
		fd.push(Event{Dir: dir, File: wev.Name, Rescan: wev.Rescan})
	}
	for _, fd := range names {
		fd.push(Event{Name: mb.Name, Dir: dir, File: wev.Name, Rescan: wev.Rescan})
	}
	if len(mail) == 0 {
		return
	}
	ev, ok := f.read(mb, dir, wev.Name)
	if !ok {
		return
	}
	ev.Rescan = wev.Rescan
	for _, fd := range mail {
		fd.push(ev)
	}
}

// read reads file of mb's new/ or cur/ as an Event; false when there is
// nothing to report (read by someone else already, or a file in cur/ with
// the S flag: read mail).
func (f *Follower) read(mb *spool.Mailbox, dir, file string) (Event, bool) {
	ev := Event{Name: mb.Name, Dir: dir, File: file}
	m, err := mb.ReadUnread(dir, file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ev, false
	case err != nil:
		ev.Err = err
	default:
		ev.Message = m
	}
	return ev, true
}

// lookForMissing watches the followed directories that have appeared
// since they were last looked for; the watcher then reports their files.
func (f *Follower) lookForMissing() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, src := range f.sources {
		if !src.missing {
			continue
		}
		if fi, err := os.Stat(src.dir); err == nil && fi.IsDir() {
			if err := f.watchLocked(src, false); err != nil { // all it holds is new
				f.log.Warn("follow", "dir", src.dir, "err", err)
			}
		}
	}
}

// watchLocked asks the watcher to watch src, which then reports the files
// in it (unless quiet). A directory that does not exist yet is marked missing, not an
// error. f.mu is held: the watcher never waits for its reader, so it
// never waits for us.
func (f *Follower) watchLocked(src *source, quiet bool) error {
	add := f.w.Add
	if quiet {
		add = f.w.AddQuiet
	}
	switch err := add(src.dir); {
	case err == nil:
		src.missing = false
		return nil
	case errors.Is(err, fs.ErrNotExist):
		src.missing = true
		return nil
	case errors.Is(err, watcher.ErrClosed):
		return ErrClosed
	default:
		return err
	}
}

// keep is the watcher's filter: read mail in a cur/ folder (S flag) is
// never news to a feed that follows mail, so a cur/ of a million read
// messages costs no events, unless some feed watches that cur/ as a plain
// directory (to see messages being read). It runs on the watcher's
// goroutine and takes no lock.
func (f *Follower) keep(dir, name string) bool {
	if spool.UnreadFile(dir, name) {
		return true
	}
	_, plain := f.plainCur.Load(filepath.Clean(dir))
	return plain
}

// countPlainCur adds d to the count of plain watches of dir when dir is a
// cur/ folder. f.mu is held.
func (f *Follower) countPlainCur(dir string, d int) {
	if filepath.Base(dir) != "cur" {
		return
	}
	n := d
	if v, ok := f.plainCur.Load(dir); ok {
		n += v.(int)
	}
	if n <= 0 {
		f.plainCur.Delete(dir)
		return
	}
	f.plainCur.Store(dir, n)
}

// add records that fd follows dir (as mb's mailbox when mb is not nil).
// It returns whether fd must scan dir itself: the watcher reports the
// files of a directory only when it starts watching it.
func (f *Follower) add(fd *Feed, dir string, mb *spool.Mailbox) (scan bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || fd.isClosed() {
		return false, ErrClosed
	}
	src := f.sources[dir]
	first := src == nil
	if first {
		src = &source{dir: dir, refs: map[*Feed]*ref{}}
	}
	r := src.refs[fd]
	if r == nil {
		r = &ref{}
	}
	if mb == nil {
		f.countPlainCur(dir, 1) // before the watch's scan, which the filter sees
	}
	if first {
		// A feed for arrivals only wants nothing of what is there; a
		// feed that joins later and wants it scans for itself.
		if err := f.watchLocked(src, mb != nil && fd.opts.Arrivals); err != nil {
			if mb == nil {
				f.countPlainCur(dir, -1)
			}
			return false, fmt.Errorf("follow %s: %w", dir, err)
		}
		f.sources[dir] = src
	}
	src.refs[fd] = r
	r.n++
	if mb != nil {
		r.mail++
		src.mb = mb
	}
	return !first && !src.missing, nil
}

// remove undoes one add; the last feed to leave dir stops its watch.
func (f *Follower) remove(fd *Feed, dir string, mail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src := f.sources[dir]
	if src == nil || src.refs[fd] == nil {
		return
	}
	r := src.refs[fd]
	if mail && r.mail == 0 {
		return
	}
	if r.n--; mail {
		r.mail--
	} else {
		f.countPlainCur(dir, -1)
	}
	if r.n == 0 {
		delete(src.refs, fd)
	}
	if !f.anyMailLocked(src) {
		src.mb = nil
	}
	if len(src.refs) > 0 {
		return
	}
	delete(f.sources, dir)
	if err := f.w.Remove(dir); err != nil && !errors.Is(err, watcher.ErrNotWatched) && !errors.Is(err, watcher.ErrClosed) {
		f.log.Warn("unfollow", "dir", dir, "err", err)
	}
}

func (f *Follower) anyMailLocked(src *source) bool {
	for _, r := range src.refs {
		if r.mail > 0 {
			return true
		}
	}
	return false
}

// detach removes every reference fd holds.
func (f *Follower) detach(fd *Feed) {
	f.mu.Lock()
	delete(f.feeds, fd)
	delete(f.all, fd)
	var dirs []string
	for dir, src := range f.sources {
		if src.refs[fd] != nil {
			dirs = append(dirs, dir)
		}
	}
	f.mu.Unlock()
	for _, dir := range dirs {
		f.drop(fd, dir)
	}
}

// drop removes fd from dir whatever its count.
func (f *Follower) drop(fd *Feed, dir string) {
	f.mu.Lock()
	src := f.sources[dir]
	if src != nil && src.refs[fd] != nil {
		r := src.refs[fd]
		r.n, r.mail = 1, 0
	}
	f.mu.Unlock()
	f.remove(fd, dir, false)
}

// scan reports to fd alone the files already in dir, for a feed that
// joins a directory the watcher was watching already.
func (f *Follower) scan(fd *Feed, dir string, mb *spool.Mailbox) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			f.log.Warn("follow: scan", "dir", dir, "err", err)
		}
		return
	}
	for _, e := range ents {
		name := e.Name()
		if name[0] == '.' || e.IsDir() || (mb != nil && !spool.UnreadFile(dir, name)) {
			continue
		}
		if mb == nil {
			fd.push(Event{Dir: dir, File: name})
			continue
		}
		if ev, ok := f.read(mb, dir, name); ok {
			fd.push(ev)
		}
	}
}

// followAll makes fd follow every mailbox, now and as they appear.
func (f *Follower) followAll(fd *Feed) error {
	f.mu.Lock()
	if f.closed || fd.isClosed() {
		f.mu.Unlock()
		return ErrClosed
	}
	if f.all[fd] == nil {
		f.all[fd] = map[string]bool{}
	}
	f.mu.Unlock()
	return f.followNew(fd)
}

// followNewMailboxes has every FollowAll feed follow the mailboxes that
// appeared since it last looked.
func (f *Follower) followNewMailboxes() {
	f.mu.Lock()
	feeds := make([]*Feed, 0, len(f.all))
	for fd := range f.all {
		feeds = append(feeds, fd)
	}
	f.mu.Unlock()
	for _, fd := range feeds {
		if err := f.followNew(fd); err != nil && !errors.Is(err, ErrClosed) {
			f.log.Warn("follow all", "err", err)
		}
	}
}

// followNew has fd follow each mailbox it does not follow yet.
func (f *Follower) followNew(fd *Feed) error {
	names, err := f.sp.Names()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // no mailbox yet
		}
		return err
	}
	for _, name := range names {
		f.mu.Lock()
		known, ok := f.all[fd]
		already := ok && known[name]
		if ok && !already {
			known[name] = true
		}
		f.mu.Unlock()
		if !ok {
			return ErrClosed
		}
		if already {
			continue
		}
		if err := fd.Follow(name); err != nil {
			return err
		}
	}
	return nil
}

// follows reports whether fd follows dir as a mailbox.
func (f *Follower) follows(fd *Feed, dir string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	src := f.sources[dir]
	return src != nil && src.refs[fd] != nil && src.refs[fd].mail > 0
}
