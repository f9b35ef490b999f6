package watcher

import (
	"errors"
	"sync"
)

// Watching a directory, not its files.
//
// fsnotify's kqueue backend (macOS, FreeBSD) opens a descriptor for every
// file in a watched directory, to report writes to it: a new/ holding
// 100,000 unread messages would take 100,000 descriptors, beyond the
// usual limits, and each arrival would cost one more open. kqueue says
// more cheaply that a directory's own vnode changed (EVFILT_VNODE
// NOTE_WRITE: an entry was added, removed or renamed), with one
// descriptor per directory. So on those systems the Watcher watches each
// directory that way and finds what arrived by listing the directory and
// comparing the names with the last listing, as polling does, only woken
// by the kernel instead of a ticker. Nothing says a file is being written
// in place there, so each new name is checked by the in-place rule
// (internal/inplace), as a poll's are.
//
// The listing is the cost: one readdir of the whole directory per wake-up.
// Changes that come while a listing runs are merged into the next one, so
// a burst costs a few listings, not one per file.

// dirNotifier says which watched directories changed, not what changed in
// them.
type dirNotifier interface {
	Add(dir string) error    // watch dir (a filepath.Clean'd key)
	Remove(dir string) error // stop watching dir
	Ready() <-chan struct{}  // receives when Take has changes
	Take() []dirChange       // the changes since the last Take, each directory once
	Close() error            // stop; no goroutine of the notifier remains
}

// dirChange says a directory changed; gone when the directory itself was
// removed, renamed or revoked (its watch follows the old vnode).
type dirChange struct {
	dir  string
	gone bool
}

// errNoDirNotifier says the system has no directory notifier: the Watcher
// uses fsnotify there.
var errNoDirNotifier = errors.New("watcher: no directory notifier on this system")

// changeSet gathers the changes a notifier's goroutine sees until the
// loop takes them.
type changeSet struct {
	mu    sync.Mutex
	dirs  map[string]bool // dir → gone
	ready chan struct{}   // capacity 1: one signal stands for any number of changes
}

func newChangeSet() *changeSet {
	return &changeSet{dirs: map[string]bool{}, ready: make(chan struct{}, 1)}
}

// mark records a change of dir and signals the loop.
func (s *changeSet) mark(dir string, gone bool) {
	s.mu.Lock()
	s.dirs[dir] = s.dirs[dir] || gone
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// take returns the changes recorded since the last take.
func (s *changeSet) take() []dirChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]dirChange, 0, len(s.dirs))
	for d, gone := range s.dirs {
		out = append(out, dirChange{dir: d, gone: gone})
	}
	clear(s.dirs)
	return out
}
