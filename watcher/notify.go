package watcher

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/claude-ipc/ipc/internal/inplace"
	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/fsnotify/fsnotify"
)

// Renamed in, or written in place?
//
// inotify says IN_MOVED_TO for a file renamed into a directory and
// IN_CREATE for one created there, but fsnotify v1.10.1 reports both as
// Create. Its way to tell them apart (Event.renamedFrom, and only when the
// source directory is watched too) is unexported, and so is its opt-in for
// IN_CLOSE_WRITE (withOps, xUnportableCloseWrite). Nothing public
// distinguishes a complete file from one still being written.
//
// The obvious heuristic, "non-empty at Create means renamed in", fails in
// practice: a writer's first write(2) follows its open(2) by microseconds,
// long before the Create has crossed fsnotify's goroutine to us, so a
// half-written file is usually non-empty when we stat it (TestWrittenInPlace
// fails that way every time). But the kernel queues a write's IN_MODIFY
// before write(2) returns, and one inotify instance delivers its events in
// order. So a non-empty file is
// held until a barrier comes back: after the stat we fchmod a private
// directory that the same fsnotify watcher watches, and when that IN_ATTRIB
// arrives every event queued before it has been seen. A held file that got
// no Write by then was renamed in and is reported; one that got a Write was
// written in place and goes to the settle check (settle.go). That costs one
// extra trip through inotify (no measurable latency in BenchmarkRenameToEvent),
// never a settle delay, and one barrier serves every file created while the
// previous one was in flight. A stat landing between a write's bytes
// becoming visible and its IN_MODIFY being queued (a writer preempted
// inside write(2) on a loaded machine) would be fooled, so a file the
// barrier releases is reported only if the system cannot tell that it is
// still open for writing (inplace.OpenForWriting: a read lease on Linux);
// one still open goes to the settle check.
//
// Without a barrier (no temporary directory, or one on a file system that
// delivers no events) the watcher falls back to the heuristic above: report
// a file at once if non-empty at Create, else wait for writes and settle.

// barrierTimeout bounds the wait for a barrier mark that never comes back.
// It is a safety net: only an overflow drops marks, and that resets the
// barrier anyway.
const barrierTimeout = 5 * time.Second

// barrier holds files that were non-empty at Create until inotify has
// delivered every event queued before their stat.
type barrier struct {
	path     string             // private directory watched only for our marks; "" when off
	f        *os.File           // open on path: a mark is one fchmod, no path lookup
	held     map[fileKey]uint64 // held file → generation of the mark it waits for
	gen      uint64             // generation of the next mark
	inFlight bool               // a mark is queued (generation gen-1)
	sentAt   time.Time
	waiting  []fileKey // files waiting for the mark in flight, in Create order
	unsent   []fileKey // files waiting for the next mark
}

// startNotify sets up inotify and the barrier, or falls back to polling.
// It runs in New, before any directory is watched.
func (l *loop) startNotify() {
	fsw, err := l.sys.newFS()
	if err != nil {
		l.usePolling(err)
		return
	}
	l.fsw, l.fsEvents, l.fsErrors = fsw, fsw.Events, fsw.Errors
	if !haveBarrier {
		return
	}
	err = l.openBarrier()
	switch {
	case errors.Is(err, syscall.ENOSPC):
		l.usePolling(err)
	case err != nil:
		l.log.Warn("watcher: no barrier; telling renamed from in-place files by size alone", "err", err)
	}
}

// openBarrier creates the private directory, watches it and checks that a
// mark comes back.
func (l *loop) openBarrier() error {
	removeStaleBarriers()
	path, err := os.MkdirTemp("", fmt.Sprintf("ipc-watcher-%d-", os.Getpid()))
	if err != nil {
		return err
	}
	path = filepath.Clean(path)
	f, err := os.Open(path)
	if err == nil {
		err = l.sys.watch(l.fsw, path)
		if err == nil {
			err = l.probeBarrier(f, path)
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	l.barrier = barrier{path: path, f: f, held: make(map[fileKey]uint64)}
	return nil
}

// removeStaleBarriers removes the barrier directories of watchers whose
// process died without closing them (SIGKILL): they are empty, and their
// name carries the pid.
func removeStaleBarriers() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "ipc-watcher-*-*"))
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "ipc-watcher-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if !platform.Alive(pid) {
			os.Remove(d) // only ever empty; Remove refuses anything else
		}
	}
}

// probeBarrier makes one mark and waits for it. Nothing else is watched yet,
// so the first event must be the mark.
func (l *loop) probeBarrier(f *os.File, path string) error {
	if err := f.Chmod(0o700); err != nil {
		return err
	}
	deadline := time.NewTimer(time.Second)
	defer deadline.Stop()
	for {
		select {
		case ev := <-l.fsEvents:
			if ev.Name == path {
				return nil
			}
		case err := <-l.fsErrors:
			return err
		case <-deadline.C:
			return errors.New("no inotify events from " + path)
		}
	}
}

// closeNotify stops inotify and removes the barrier.
func (l *loop) closeNotify() error {
	var err error
	if l.fsw != nil {
		err = l.fsw.Close()
		l.fsw, l.fsEvents, l.fsErrors = nil, nil, nil
	}
	if b := l.barrier; b.f != nil {
		b.f.Close()
		os.Remove(b.path)
	}
	l.barrier = barrier{}
	return err
}

func (l *loop) handleFS(ev fsnotify.Event) {
	if ev.Name == l.barrier.path && l.barrier.path != "" {
		l.barrierEvent(ev)
		return
	}
	if d, ok := l.dirs[ev.Name]; ok && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		l.lose(ev.Name, d)
		return
	}
	k := fileKey{filepath.Dir(ev.Name), filepath.Base(ev.Name)}
	d, ok := l.dirs[k.dir]
	if !ok || d.lost || ignored(k.name) || l.refused(d, k.name) {
		return
	}
	switch {
	case ev.Has(fsnotify.Create):
		l.created(k)
	case ev.Has(fsnotify.Write):
		l.written(k, d.quiet)
	case ev.Has(fsnotify.Remove | fsnotify.Rename):
		l.forget(k)
	}
	l.sendMark()
}

func (l *loop) handleFSError(err error) {
	if !errors.Is(err, fsnotify.ErrEventOverflow) {
		l.log.Warn("watcher: inotify", "err", err)
		return
	}
	// Events were dropped, the barrier mark perhaps among them: start the
	// barrier afresh and report everything present, held files included.
	// (A mark that was not dropped may still arrive and release the next
	// generation early: only an in-place writer racing an overflow can lose
	// by that, and a rescan reports such a file early anyway.)
	l.shared.overflows.Add(1)
	l.log.Warn("watcher: inotify queue overflow, rescanning")
	b := &l.barrier
	clear(b.held)
	b.inFlight, b.waiting, b.unsent = false, nil, nil
	now := time.Now()
	for k, p := range l.pending {
		if p.due.IsZero() { // the Write that would wake it may be lost
			l.settle(k, now.Add(l.opts.Settle))
		}
	}
	l.rescanAll()
}

// created handles a new name in a watched directory.
func (l *loop) created(k fileKey) {
	l.forget(k) // a new file under an old name starts afresh
	fi, err := os.Lstat(k.path())
	if err != nil || !fi.Mode().IsRegular() {
		return // already taken away, or not a file
	}
	switch {
	case fi.Size() == 0:
		l.settle(k, time.Now().Add(l.opts.Settle)) // created in place: checked until complete
	case l.barrier.f != nil:
		l.hold(k)
	default:
		l.release(k)
	}
}

// release reports k, which looks renamed in, unless the system can tell
// it is still open for writing: then it is written in place and goes to
// the settle check.
func (l *loop) release(k fileKey) {
	if inplace.OpenForWriting(k.path()) {
		l.settle(k, time.Now().Add(l.opts.Settle))
		return
	}
	l.emit(k, 0)
}

// written handles a Write: the file is being written in place, so it is
// reported once it is complete (settle.go). A Write on a file already
// reported is not a new arrival and is ignored, except in a directory
// added quietly (quiet): there the Watcher cannot tell a file it never
// reported, being written since before the add, from one it did, so it
// reports it again once complete (reports may repeat).
func (l *loop) written(k fileKey, quiet bool) {
	if !l.unhold(k) && l.pending[k] == nil && !quiet {
		return
	}
	fi, err := os.Lstat(k.path())
	if err != nil || !fi.Mode().IsRegular() {
		l.forget(k)
		return
	}
	l.settle(k, time.Now().Add(l.opts.Settle))
}

func (l *loop) hold(k fileKey) {
	b := &l.barrier
	b.held[k] = b.gen
	b.unsent = append(b.unsent, k)
}

// unhold releases k from the barrier without reporting it, and says whether
// it was held.
func (l *loop) unhold(k fileKey) bool {
	_, ok := l.barrier.held[k]
	delete(l.barrier.held, k)
	return ok
}

// sendMark makes a barrier mark for the files that wait for one, unless a
// mark is in flight: those files then wait for the next one.
func (l *loop) sendMark() {
	b := &l.barrier
	if b.f == nil || b.inFlight || len(b.unsent) == 0 {
		return
	}
	if err := b.f.Chmod(0o700); err != nil {
		l.barrierOff(err)
		return
	}
	b.inFlight, b.sentAt = true, time.Now()
	b.waiting, b.unsent = b.unsent, nil
	b.gen++
	l.arm(b.sentAt.Add(barrierTimeout))
}

func (l *loop) barrierEvent(ev fsnotify.Event) {
	if ev.Has(fsnotify.Remove | fsnotify.Rename) {
		l.barrierOff(errors.New("barrier directory removed"))
		return
	}
	l.markArrived()
}

// markArrived reports the files that waited for the mark in flight and got
// no Write.
func (l *loop) markArrived() {
	b := &l.barrier
	if !b.inFlight {
		return // a mark from before an overflow
	}
	b.inFlight = false
	for _, k := range b.waiting {
		if g, ok := b.held[k]; ok && g == b.gen-1 {
			delete(b.held, k)
			l.release(k)
		}
	}
	b.waiting = nil
	l.sendMark()
}

// checkMark gives up on a mark that never came.
func (l *loop) checkMark(now time.Time) {
	b := &l.barrier
	if b.inFlight && now.Sub(b.sentAt) >= barrierTimeout {
		l.log.Warn("watcher: barrier mark lost", "after", now.Sub(b.sentAt))
		l.markArrived()
	}
}

// barrierOff reports every held file and goes on without a barrier.
func (l *loop) barrierOff(err error) {
	l.log.Warn("watcher: barrier off; telling renamed from in-place files by size alone", "err", err)
	b := l.barrier
	for _, k := range append(b.waiting, b.unsent...) {
		if _, ok := b.held[k]; ok {
			delete(b.held, k)
			l.release(k)
		}
	}
	b.f.Close()
	os.Remove(b.path)
	l.barrier = barrier{}
}
