package watcher

import (
	"errors"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// fsDirs is a directory notifier made of inotify for the tests, so that
// ModeDirectory runs on Linux: like kqueue's EVFILT_VNODE on a directory
// it says only that a directory's entries changed (a name added, removed
// or renamed), never that a file was written, and that a watched
// directory itself went away.
type fsDirs struct {
	fsw  *fsnotify.Watcher
	set  *changeSet
	done chan struct{}

	mu   sync.Mutex
	dirs map[string]bool
}

func newFSDirs() (dirNotifier, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	n := &fsDirs{fsw: fsw, set: newChangeSet(), done: make(chan struct{}), dirs: map[string]bool{}}
	go n.read()
	return n, nil
}

func (n *fsDirs) Add(dir string) error {
	if err := n.fsw.Add(dir); err != nil {
		return err
	}
	n.mu.Lock()
	n.dirs[dir] = true
	n.mu.Unlock()
	return nil
}

func (n *fsDirs) Remove(dir string) error {
	n.mu.Lock()
	delete(n.dirs, dir)
	n.mu.Unlock()
	if err := n.fsw.Remove(dir); err != nil && !errors.Is(err, fsnotify.ErrNonExistentWatch) {
		return err
	}
	return nil
}

func (n *fsDirs) Ready() <-chan struct{} { return n.set.ready }
func (n *fsDirs) Take() []dirChange      { return n.set.take() }

func (n *fsDirs) read() {
	defer close(n.done)
	for {
		select {
		case ev, ok := <-n.fsw.Events:
			if !ok {
				return
			}
			n.event(ev)
		case _, ok := <-n.fsw.Errors:
			if !ok {
				return
			}
		}
	}
}

func (n *fsDirs) event(ev fsnotify.Event) {
	n.mu.Lock()
	self, parent := n.dirs[ev.Name], n.dirs[filepath.Dir(ev.Name)]
	n.mu.Unlock()
	switch {
	case self && ev.Has(fsnotify.Remove|fsnotify.Rename):
		n.set.mark(ev.Name, true)
	case parent && ev.Has(fsnotify.Create|fsnotify.Remove|fsnotify.Rename):
		n.set.mark(filepath.Dir(ev.Name), false)
	}
}

func (n *fsDirs) Close() error {
	err := n.fsw.Close()
	<-n.done
	return err
}
