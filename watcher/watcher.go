package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Event says a complete file is present in Dir with base name Name.
type Event struct {
	Dir  string // the watched directory, as given to Add/New
	Name string // base name of the file

	// Rescan is nonzero when the file was found by a rescan of what is
	// present (Rescan, a kernel queue overflow, a switch to polling, a
	// lost directory back), not seen arriving: it may have been reported
	// before. Each rescan has its own number, counting up from 1, so a
	// consumer can tell one rescan's reports from the next one's.
	Rescan uint64
}

// Options tune a Watcher. The zero value is fine.
type Options struct {
	Poll         bool          // force the polling fallback (also forced when env IPC_POLL=1)
	PollInterval time.Duration // default 250ms
	Settle       time.Duration // how often a file written in place is checked until complete (internal/inplace); default 50ms
	Logger       *slog.Logger  // nil: discard

	// Filter, if set, says which files are reported, given the directory
	// (as given to New or Add) and the file's name: a file it refuses is
	// never reported, at a scan or on arrival. A watcher of Maildir cur/
	// folders reports only unread names this way (spool.UnreadFile), so
	// that a folder of a million read messages costs no events.
	Filter func(dir, name string) bool

	// newDirs, if set, replaces the system's directory notifier (tests:
	// the directory mode runs on Linux this way).
	newDirs func() (dirNotifier, error)
}

// Mode is how a Watcher learns that files arrived.
type Mode int32

const (
	// ModeEvents: the system reports each file (fsnotify: inotify on
	// Linux, ReadDirectoryChangesW on Windows).
	ModeEvents Mode = iota
	// ModeDirectory: the system reports that a directory changed
	// (kqueue's EVFILT_VNODE on macOS and FreeBSD, one descriptor per
	// directory), and a listing compared with the last one says what
	// arrived.
	ModeDirectory
	// ModePoll: every directory is listed every PollInterval.
	ModePoll
)

// String names the mode as ipc status and ipc doctor show it: "inotify",
// "ReadDirectoryChangesW" or "kqueue" for ModeEvents, "kqueue-directory",
// "poll".
func (m Mode) String() string {
	switch m {
	case ModeEvents:
		return eventsName()
	case ModeDirectory:
		return "kqueue-directory"
	case ModePoll:
		return "poll"
	}
	return fmt.Sprintf("Mode(%d)", int32(m))
}

// Stats counts what a Watcher has done since New.
type Stats struct {
	Events    uint64 // events delivered on the Events channel
	Overflows uint64 // kernel event-queue overflows, each followed by a rescan
	Rescans   uint64 // full rescans of every directory (Rescan, overflow, switch to polling)
	Polls     uint64 // polling passes over every directory
}

// ErrClosed is returned by Add and Remove once the Watcher has stopped.
var ErrClosed = errors.New("watcher: closed")

// ErrNotWatched is returned by Remove for a directory that is not watched.
var ErrNotWatched = errors.New("watcher: directory not watched")

// DefaultPollInterval is how often a polling Watcher lists its
// directories unless Options.PollInterval says otherwise.
const DefaultPollInterval = 250 * time.Millisecond

const (
	defaultSettle = 50 * time.Millisecond
	eventBuffer   = 1024
)

// Watcher reports complete files appearing in a set of directories on its
// Events channel.
type Watcher struct {
	events   chan Event
	reqs     chan request
	rescan   chan struct{}
	cancel   context.CancelFunc
	done     chan struct{} // closed when the loop goroutine has returned
	closeErr error         // written by the loop before done is closed
	shared   *shared
}

// shared holds what the public methods read without asking the loop.
type shared struct {
	mode      atomic.Int32 // a Mode
	events    atomic.Uint64
	overflows atomic.Uint64
	rescans   atomic.Uint64
	polls     atomic.Uint64
}

// request carries Add and Remove to the loop goroutine.
type request struct {
	remove bool
	quiet  bool // add without reporting what is there
	dir    string
	reply  chan error // buffered: the loop never blocks on it
}

// sys is the seam between the Watcher and the kernel, so tests can make
// inotify fail the ways real systems do.
type sys struct {
	newFS   func() (*fsnotify.Watcher, error)
	watch   func(fsw *fsnotify.Watcher, dir string) error
	newDirs func() (dirNotifier, error) // errNoDirNotifier: use fsnotify
	getenv  func(string) string
}

func osSys() sys {
	return sys{newFS: fsnotify.NewWatcher, watch: (*fsnotify.Watcher).Add, newDirs: newDirNotifier, getenv: os.Getenv}
}

// New starts watching dirs. Events arrive on the returned Watcher's Events
// channel, starting with one for every file already present. The Watcher
// stops when ctx is done or Close is called.
func New(ctx context.Context, opts Options, dirs ...string) (*Watcher, error) {
	return start(ctx, opts, osSys(), dirs)
}

func start(ctx context.Context, opts Options, s sys, dirs []string) (*Watcher, error) {
	opts = opts.withDefaults()
	if opts.newDirs != nil {
		s.newDirs = opts.newDirs
	}
	w := &Watcher{
		events: make(chan Event, eventBuffer),
		reqs:   make(chan request),
		rescan: make(chan struct{}, 1),
		done:   make(chan struct{}),
		shared: &shared{},
	}
	l := newLoop(opts, s, w.events, w.shared)
	if opts.Poll || s.getenv("IPC_POLL") == "1" {
		l.usePolling(nil)
	} else if !l.startDirs() {
		l.startNotify()
	}
	for _, d := range dirs {
		if err := l.addDir(d, false); err != nil {
			l.stop()
			return nil, err
		}
	}
	ctx, w.cancel = context.WithCancel(ctx)
	go func() {
		w.closeErr = l.run(ctx, w.reqs, w.rescan)
		close(w.done)
	}()
	return w, nil
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Settle <= 0 {
		o.Settle = defaultSettle
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Events returns the channel on which complete files are reported. It is
// closed when the Watcher stops.
func (w *Watcher) Events() <-chan Event { return w.events }

// Add starts watching one more directory, then reports the files already in
// it.
func (w *Watcher) Add(dir string) error { return w.call(request{dir: dir}) }

// AddQuiet starts watching one more directory without reporting the files
// already complete in it: only what arrives from now on (and what a Rescan
// finds). A file still being written there in place arrives when it is
// complete, and is reported then (with inotify, which lists nothing here,
// if it is written to after the add). A consumer that lists what is there
// itself, reading only what it needs, so pays nothing for a directory of
// a million files.
func (w *Watcher) AddQuiet(dir string) error { return w.call(request{dir: dir, quiet: true}) }

// Remove stops watching dir. Events for it that were already queued may
// still arrive.
func (w *Watcher) Remove(dir string) error { return w.call(request{remove: true, dir: dir}) }

func (w *Watcher) call(r request) error {
	r.reply = make(chan error, 1)
	select {
	case w.reqs <- r:
		return <-r.reply
	case <-w.done:
		return ErrClosed
	}
}

// Rescan asks for a full rescan: every file present in every directory is
// reported again. It does not wait for the rescan; requests made while one
// is pending are merged into it.
func (w *Watcher) Rescan() {
	select {
	case w.rescan <- struct{}{}:
	default:
	}
}

// eventsName is the system's own per-file notification, which fsnotify
// uses.
func eventsName() string {
	switch runtime.GOOS {
	case "linux", "android":
		return "inotify"
	case "windows":
		return "ReadDirectoryChangesW"
	case "darwin", "ios", "freebsd", "openbsd", "netbsd", "dragonfly":
		return "kqueue"
	}
	return "fsnotify"
}

// Polling reports whether the Watcher runs on the polling fallback.
func (w *Watcher) Polling() bool { return w.Mode() == ModePoll }

// Mode reports how the Watcher learns of files now. It changes only to
// ModePoll, when the system's notifications fail or run out.
func (w *Watcher) Mode() Mode { return Mode(w.shared.mode.Load()) }

// Stats returns the Watcher's counters.
func (w *Watcher) Stats() Stats {
	return Stats{
		Events:    w.shared.events.Load(),
		Overflows: w.shared.overflows.Load(),
		Rescans:   w.shared.rescans.Load(),
		Polls:     w.shared.polls.Load(),
	}
}

// Close stops the Watcher. When it returns, no goroutine of the Watcher
// remains and Events is closed. It returns promptly even if nobody reads
// Events, and may be called more than once.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	return w.closeErr
}
