package watcher

import (
	"errors"
	"time"
)

// startDirs sets up ModeDirectory where the system has a directory
// notifier (dirnotify.go), and says whether it did. Where kqueue itself
// fails, the Watcher polls.
func (l *loop) startDirs() bool {
	dn, err := l.sys.newDirs()
	if errors.Is(err, errNoDirNotifier) {
		return false
	}
	if err != nil {
		l.usePolling(err)
		return true
	}
	l.dn, l.dnReady = dn, dn.Ready()
	l.shared.mode.Store(int32(ModeDirectory))
	return true
}

// closeDirs stops the directory notifier, if any.
func (l *loop) closeDirs() error {
	if l.dn == nil {
		return nil
	}
	err := l.dn.Close()
	l.dn, l.dnReady = nil, nil
	return err
}

// mode is the Watcher's Mode as the loop knows it.
func (l *loop) mode() Mode { return Mode(l.shared.mode.Load()) }

// dirsChanged lists each directory the notifier says changed and follows
// the names that are new since the last listing, as a poll does. A
// directory that went away is watched again when it is back; one replaced
// by another of the same name (renamed away, made again) is watched anew,
// since its watch followed the old one.
func (l *loop) dirsChanged() {
	now := time.Now()
	for _, c := range l.dn.Take() {
		d, ok := l.dirs[c.dir]
		if !ok || d.lost {
			continue
		}
		if c.gone || checkDir(c.dir) != nil {
			l.lose(c.dir, d)
			l.rewatch(c.dir, d)
			continue
		}
		l.pollDir(c.dir, d, now, true)
	}
}
