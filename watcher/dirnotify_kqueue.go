//go:build darwin || freebsd

package watcher

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// kqueueDirs watches directories with kqueue's EVFILT_VNODE on one
// descriptor per directory (dirnotify.go says why).
type kqueueDirs struct {
	kq   int
	wake [2]int // a pipe: a byte on wake[1] ends the reading goroutine
	set  *changeSet
	done chan struct{} // closed when the reading goroutine has returned

	mu   sync.Mutex
	fds  map[string]int // dir → its descriptor
	dirs map[int]string // descriptor → dir
}

// vnodeEvents are the changes of a directory's vnode that matter: NOTE_WRITE
// for an entry added, removed or renamed; the others for the directory
// itself going away.
const vnodeEvents = unix.NOTE_WRITE | unix.NOTE_DELETE | unix.NOTE_RENAME | unix.NOTE_REVOKE

func newDirNotifier() (dirNotifier, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, fmt.Errorf("kqueue: %w", err)
	}
	unix.CloseOnExec(kq)
	k := &kqueueDirs{kq: kq, set: newChangeSet(), done: make(chan struct{}), fds: map[string]int{}, dirs: map[int]string{}}
	if err := unix.Pipe(k.wake[:]); err != nil {
		unix.Close(kq)
		return nil, fmt.Errorf("kqueue: pipe: %w", err)
	}
	unix.CloseOnExec(k.wake[0])
	unix.CloseOnExec(k.wake[1])
	var ev unix.Kevent_t
	unix.SetKevent(&ev, k.wake[0], unix.EVFILT_READ, unix.EV_ADD)
	if err := k.register(ev); err != nil {
		k.closeFDs()
		return nil, fmt.Errorf("kqueue: %w", err)
	}
	go k.read()
	return k, nil
}

func (k *kqueueDirs) register(ev unix.Kevent_t) error {
	for {
		_, err := unix.Kevent(k.kq, []unix.Kevent_t{ev}, nil, nil)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// Add watches dir's vnode. The descriptor is opened for events only where
// the system has that (O_EVTONLY on macOS: it does not keep a volume from
// being unmounted).
func (k *kqueueDirs) Add(dir string) error {
	k.mu.Lock()
	_, ok := k.fds[dir]
	k.mu.Unlock()
	if ok {
		return nil
	}
	fd, err := unix.Open(dir, dirOpenFlags|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	var ev unix.Kevent_t
	unix.SetKevent(&ev, fd, unix.EVFILT_VNODE, unix.EV_ADD|unix.EV_CLEAR|unix.EV_ENABLE)
	ev.Fflags = vnodeEvents
	k.mu.Lock()
	k.fds[dir], k.dirs[fd] = fd, dir
	k.mu.Unlock()
	if err := k.register(ev); err != nil {
		k.Remove(dir)
		return fmt.Errorf("kevent %s: %w", dir, err)
	}
	return nil
}

// Remove stops watching dir: closing its descriptor removes its event.
func (k *kqueueDirs) Remove(dir string) error {
	k.mu.Lock()
	fd, ok := k.fds[dir]
	delete(k.fds, dir)
	delete(k.dirs, fd)
	k.mu.Unlock()
	if !ok {
		return nil
	}
	return unix.Close(fd)
}

func (k *kqueueDirs) Ready() <-chan struct{} { return k.set.ready }
func (k *kqueueDirs) Take() []dirChange      { return k.set.take() }

// read turns kernel events into marks until the wake pipe is written. An
// event may name a descriptor Remove has just closed and Add reused for
// another directory: that costs one needless listing, nothing more.
func (k *kqueueDirs) read() {
	defer close(k.done)
	buf := make([]unix.Kevent_t, 64)
	for {
		n, err := unix.Kevent(k.kq, nil, buf, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return // only a closed kqueue does this; Close has started
		}
		for _, ev := range buf[:n] {
			fd := int(ev.Ident)
			if fd == k.wake[0] {
				return
			}
			k.mu.Lock()
			dir, ok := k.dirs[fd]
			k.mu.Unlock()
			if ok {
				k.set.mark(dir, ev.Fflags&(unix.NOTE_DELETE|unix.NOTE_RENAME|unix.NOTE_REVOKE) != 0)
			}
		}
	}
}

// Close wakes the reading goroutine, waits for it, then closes every
// descriptor.
func (k *kqueueDirs) Close() error {
	_, err := unix.Write(k.wake[1], []byte{0})
	if err == nil {
		<-k.done
	}
	k.closeFDs()
	return err
}

func (k *kqueueDirs) closeFDs() {
	k.mu.Lock()
	for dir, fd := range k.fds {
		unix.Close(fd)
		delete(k.fds, dir)
	}
	clear(k.dirs)
	k.mu.Unlock()
	unix.Close(k.wake[0])
	unix.Close(k.wake[1])
	unix.Close(k.kq)
}
