package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// loop is the state of a Watcher. Only its goroutine touches it (before
// that goroutine starts, only New does), so it needs no locks.
type loop struct {
	opts   Options
	log    *slog.Logger
	sys    sys
	shared *shared
	out    chan<- Event

	fsw      *fsnotify.Watcher // ModeEvents only
	fsEvents <-chan fsnotify.Event
	fsErrors <-chan error
	barrier  barrier
	dn       dirNotifier     // ModeDirectory only
	dnReady  <-chan struct{} // dn.Ready(); nil otherwise
	polling  bool

	dirs map[string]*dir // by filepath.Clean of the name given

	// queue holds events out has not accepted yet. The loop never blocks on
	// out, so it keeps draining inotify while nobody reads Events; queued
	// dedups, which bounds the queue by the number of files present.
	queue  []Event
	queued map[Event]struct{}

	rescan uint64 // the number of the last rescan (Event.Rescan)

	pending map[fileKey]*settling // files written in place, not yet complete
	timer   *time.Timer           // fires at the earliest settle or barrier deadline
	timerAt time.Time             // zero while the timer is not armed
	ticker  *time.Ticker          // runs while polling or a directory is lost
}

type dir struct {
	given string              // the name as given to New or Add, used in Events
	lost  bool                // its inotify watch died; retried every PollInterval
	quiet bool                // added quietly: what was there is unknown, so a Write may be a file never reported
	seen  map[string]struct{} // polling and ModeDirectory: the names of the last listing
}

// fileKey names a file: dir is the key of its directory in loop.dirs.
type fileKey struct{ dir, name string }

func (k fileKey) path() string { return filepath.Join(k.dir, k.name) }

func newLoop(opts Options, s sys, out chan<- Event, sh *shared) *loop {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &loop{
		opts:    opts,
		log:     opts.Logger,
		sys:     s,
		shared:  sh,
		out:     out,
		dirs:    make(map[string]*dir),
		queued:  make(map[Event]struct{}),
		pending: make(map[fileKey]*settling),
		timer:   t,
	}
}

// run serves until ctx is done, then stops everything and closes out.
func (l *loop) run(ctx context.Context, reqs <-chan request, rescan <-chan struct{}) error {
	for {
		var out chan<- Event
		var next Event
		if len(l.queue) > 0 {
			out, next = l.out, l.queue[0]
		}
		select {
		case <-ctx.Done():
			return l.stop()
		case out <- next:
			l.dequeue()
		case ev, ok := <-l.fsEvents:
			if !ok {
				l.fsEvents = nil
				continue
			}
			l.handleFS(ev)
		case err, ok := <-l.fsErrors:
			if !ok {
				l.fsErrors = nil
				continue
			}
			l.handleFSError(err)
		case <-l.dnReady:
			l.dirsChanged()
		case r := <-reqs:
			r.reply <- l.handle(r)
		case <-rescan:
			l.rescanAll()
		case now := <-l.timer.C:
			l.timerAt = time.Time{}
			l.wake(now)
		case <-l.tickC():
			l.tick()
		}
	}
}

// stop releases the notifications, the timers and the barrier, and closes
// out.
func (l *loop) stop() error {
	err := errors.Join(l.closeNotify(), l.closeDirs())
	l.timer.Stop()
	if l.ticker != nil {
		l.ticker.Stop()
		l.ticker = nil
	}
	close(l.out)
	return err
}

func (l *loop) handle(r request) error {
	defer l.updateTicker()
	if r.remove {
		return l.removeDir(r.dir)
	}
	return l.addDir(r.dir, r.quiet)
}

// addDir watches a directory, then scans it: in this order, a file landing
// in between is seen by one or the other. A quiet add reports nothing
// complete that it finds (when listing, the listing is what later ones
// compare with), but a file still being written there is reported once
// complete, as if it arrived then: listing, it is checked now; with
// inotify, its next Write says so (written).
func (l *loop) addDir(given string, quiet bool) error {
	key := filepath.Clean(given)
	if err := checkDir(key); err != nil {
		return fmt.Errorf("watcher: add %s: %w", given, err)
	}
	if err := l.watchDir(key); outOfWatches(err) {
		l.usePolling(err)
	} else if err != nil {
		return fmt.Errorf("watcher: add %s: %w", given, err)
	}
	d := l.dirs[key]
	if d == nil {
		d = &dir{given: given}
		l.dirs[key] = d
	}
	d.lost, d.quiet = false, quiet
	switch {
	case !quiet:
		l.scanDir(key, d, 0)
	case l.listing(): // what later listings compare with
		l.pollDir(key, d, time.Now(), false)
	}
	return nil
}

// watchDir asks the system to report changes in dir; polling, nothing to
// ask.
func (l *loop) watchDir(key string) error {
	switch {
	case l.fsw != nil:
		return l.sys.watch(l.fsw, key)
	case l.dn != nil:
		return l.dn.Add(key)
	}
	return nil
}

// unwatchDir undoes watchDir; a watch the kernel already dropped is fine.
func (l *loop) unwatchDir(key string) error {
	switch {
	case l.fsw != nil:
		if err := l.fsw.Remove(key); !errors.Is(err, fsnotify.ErrNonExistentWatch) {
			return err
		}
	case l.dn != nil:
		return l.dn.Remove(key)
	}
	return nil
}

// outOfWatches says the system's notifications ran out (inotify's watch
// limit, kqueue's descriptors): the Watcher polls then.
func outOfWatches(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

func checkDir(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return syscall.ENOTDIR
	}
	return nil
}

func (l *loop) removeDir(given string) error {
	key := filepath.Clean(given)
	d, ok := l.dirs[key]
	if !ok {
		return fmt.Errorf("watcher: remove %s: %w", given, ErrNotWatched)
	}
	delete(l.dirs, key)
	if !d.lost {
		if err := l.unwatchDir(key); err != nil {
			l.log.Warn("watcher: remove watch", "dir", given, "err", err)
		}
	}
	l.dropDir(key)
	return nil
}

// dropDir forgets the files of a directory that is no longer watched.
func (l *loop) dropDir(key string) {
	for k := range l.pending {
		if k.dir == key {
			delete(l.pending, k)
		}
	}
	for k := range l.barrier.held {
		if k.dir == key {
			delete(l.barrier.held, k)
		}
	}
}

// scanDir reports every file in a directory, except those the loop already
// follows: they are reported when complete. rescan is the number of the
// rescan it is part of, 0 for the scan of a directory just added.
func (l *loop) scanDir(key string, d *dir, rescan uint64) {
	entries, err := os.ReadDir(key)
	if err != nil {
		l.log.Warn("watcher: scan", "dir", d.given, "err", err)
		if l.listing() {
			d.seen = nil
		}
		return
	}
	if l.listing() {
		d.seen = make(map[string]struct{}, len(entries))
	}
	for _, e := range entries {
		name := e.Name()
		if ignored(name) || !e.Type().IsRegular() {
			continue
		}
		if l.listing() {
			d.seen[name] = struct{}{}
		}
		if k := (fileKey{key, name}); !l.following(k) {
			l.emit(k, rescan)
		}
	}
}

// listing says whether new files are found by comparing listings
// (polling, ModeDirectory), so each scan is kept to compare the next with.
func (l *loop) listing() bool { return l.polling || l.dn != nil }

// rescanAll reports every file present in every directory, as one rescan.
func (l *loop) rescanAll() {
	l.shared.rescans.Add(1)
	l.rescan++
	for key, d := range l.dirs {
		if !d.lost {
			l.scanDir(key, d, l.rescan)
		}
	}
}

// ignored says whether a name is left alone: dot files are hidden or
// temporary by convention.
func ignored(name string) bool { return strings.HasPrefix(name, ".") }

// following says whether the loop waits for k to be complete.
func (l *loop) following(k fileKey) bool {
	if _, ok := l.pending[k]; ok {
		return true
	}
	_, ok := l.barrier.held[k]
	return ok
}

// forget drops any wait on k: it was removed or renamed away.
func (l *loop) forget(k fileKey) {
	delete(l.pending, k)
	delete(l.barrier.held, k)
}

// refused says whether the Filter refuses name in d: such a file is
// never reported, so nothing is done for it (no stat, no barrier, no
// in-place check), as for the read messages a claim renames into cur/.
func (l *loop) refused(d *dir, name string) bool {
	return l.opts.Filter != nil && !l.opts.Filter(d.given, name)
}

// emit reports k, found by rescan number rescan (0: it arrived), unless
// its directory is no longer watched or the same report is still queued.
func (l *loop) emit(k fileKey, rescan uint64) {
	d := l.dirs[k.dir]
	if d == nil || l.refused(d, k.name) {
		return
	}
	ev := Event{Dir: d.given, Name: k.name, Rescan: rescan}
	if len(l.queue) == 0 {
		select {
		case l.out <- ev: // the common case: no queue, no extra loop turn
			l.shared.events.Add(1)
			return
		default:
		}
	}
	if _, dup := l.queued[ev]; dup {
		return
	}
	l.queued[ev] = struct{}{}
	l.queue = append(l.queue, ev)
}

// dequeue drops the head of the queue once out has accepted it.
func (l *loop) dequeue() {
	delete(l.queued, l.queue[0])
	l.queue[0] = Event{}
	l.queue = l.queue[1:]
	if len(l.queue) == 0 {
		l.queue = nil
	}
	l.shared.events.Add(1)
}

// tick polls every directory, or with inotify looks for lost directories
// that came back.
func (l *loop) tick() {
	if l.polling {
		l.pollAll()
		return
	}
	for key, d := range l.dirs {
		if d.lost {
			l.rewatch(key, d)
		}
	}
	l.updateTicker()
}

// lose marks a directory whose watch died (removed, renamed away); tick
// watches it again once it is back.
func (l *loop) lose(key string, d *dir) {
	if d.lost {
		return
	}
	l.log.Warn("watcher: directory gone, waiting for it", "dir", d.given)
	d.lost = true
	// The kernel may have dropped the watch already; if the directory was
	// renamed, the watch follows it and must go.
	if err := l.unwatchDir(key); err != nil {
		l.log.Debug("watcher: remove dead watch", "dir", d.given, "err", err)
	}
	d.seen = nil // when it is back, all its files are new
	l.dropDir(key)
	l.updateTicker()
}

func (l *loop) rewatch(key string, d *dir) {
	if checkDir(key) != nil {
		return
	}
	err := l.watchDir(key)
	switch {
	case outOfWatches(err):
		l.usePolling(err)
	case err != nil:
		l.log.Warn("watcher: watch again", "dir", d.given, "err", err)
	default:
		l.log.Info("watcher: directory back", "dir", d.given)
		d.lost = false
		l.rescan++ // what it holds may have been reported before it went
		l.scanDir(key, d, l.rescan)
	}
}

func (l *loop) updateTicker() {
	need := l.polling
	for _, d := range l.dirs {
		need = need || d.lost
	}
	switch {
	case need && l.ticker == nil:
		l.ticker = time.NewTicker(l.opts.PollInterval)
	case !need && l.ticker != nil:
		l.ticker.Stop()
		l.ticker = nil
	}
}

func (l *loop) tickC() <-chan time.Time {
	if l.ticker == nil {
		return nil
	}
	return l.ticker.C
}
