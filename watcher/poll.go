package watcher

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/claude-ipc/ipc/internal/inplace"
)

// usePolling switches to the polling fallback for good: the system's
// notifications are unavailable (reason says why) or ran out, or polling
// was asked for (reason is nil). Every directory is scanned, as a listing
// to compare the next polls with.
func (l *loop) usePolling(reason error) {
	if reason != nil {
		l.log.Warn("watcher: "+l.mode().String()+" unavailable, polling", "err", reason)
	}
	if err := errors.Join(l.closeNotify(), l.closeDirs()); err != nil {
		l.log.Warn("watcher: close notifications", "err", err)
	}
	l.polling = true
	l.shared.mode.Store(int32(ModePoll))
	now := time.Now()
	for k, p := range l.pending {
		if p.due.IsZero() { // no Write will come to wake it
			l.settle(k, now.Add(l.opts.PollInterval))
		}
	}
	for _, d := range l.dirs {
		d.lost = false
	}
	if len(l.dirs) > 0 {
		l.rescanAll()
	}
	l.updateTicker()
}

// pollAll lists every directory and follows the names that are new since
// the last listing.
func (l *loop) pollAll() {
	l.shared.polls.Add(1)
	now := time.Now()
	for key, d := range l.dirs {
		l.pollDir(key, d, now, true)
	}
}

// pollDir lists a directory and follows the names new since its last
// listing; unless report is set (a quiet add), only those still being
// written, which arrive when complete.
func (l *loop) pollDir(key string, d *dir, now time.Time, report bool) {
	entries, err := os.ReadDir(key)
	if err != nil {
		if d.seen != nil {
			l.log.Warn("watcher: directory gone, waiting for it", "dir", d.given, "err", err)
		}
		d.seen = nil // when it is back, all its files are new
		return
	}
	seen := make(map[string]struct{}, len(entries))
	for _, e := range entries {
		name := e.Name()
		if ignored(name) || !e.Type().IsRegular() {
			continue
		}
		seen[name] = struct{}{}
		if _, old := d.seen[name]; old || l.refused(d, name) {
			continue
		}
		k := fileKey{key, name}
		switch {
		case report:
			l.polled(k, e, now)
		case mayBeWriting(e, now) && inplace.Check(k.path(), now) == inplace.Writing:
			l.settle(k, now.Add(l.opts.Settle))
		}
	}
	d.seen = seen
}

// polled handles a name a poll found. Polling cannot tell a renamed-in file
// from one being written, so each is checked by the in-place rule
// (internal/inplace): a complete one is reported at once, one still being
// written once it is complete.
func (l *loop) polled(k fileKey, e fs.DirEntry, now time.Time) {
	switch inplace.Check(k.path(), now) {
	case inplace.Complete:
		l.emit(k, 0)
	case inplace.Writing:
		l.settle(k, now.Add(l.opts.Settle))
	}
}

// mayBeWriting says whether a file a quiet add lists may still be being
// written: one modified within inplace.Quiet, or empty. Only those are
// opened for the in-place rule, so a quiet add of a directory of a
// million old files costs one lstat each, not one open; a writer that
// paused for longer than Quiet just then counts as done.
func mayBeWriting(e fs.DirEntry, now time.Time) bool {
	fi, err := e.Info()
	return err == nil && (fi.Size() == 0 || now.Sub(fi.ModTime()) < inplace.Quiet)
}
