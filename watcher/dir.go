package watcher

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WaitForDir returns once dir exists, or with ctx's error. It watches the
// nearest existing ancestor of dir (with kqueue on the directory itself
// where the Watcher does so, else fsnotify), going down as each level
// appears, and looks again every poll interval besides (the only way with
// IPC_POLL=1, or where the system's notifications fail).
func WaitForDir(ctx context.Context, dir string, wo Options) error {
	interval := wo.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var (
		add, remove func(string) error
		events      <-chan fsnotify.Event
		errs        <-chan error
		changed     <-chan struct{}
	)
	if !wo.Poll {
		if dn, err := newDirNotifier(); err == nil {
			defer dn.Close()
			add, remove, changed = dn.Add, dn.Remove, dn.Ready()
		} else if fsw, err := fsnotify.NewWatcher(); err == nil {
			defer fsw.Close()
			add, remove, events, errs = fsw.Add, fsw.Remove, fsw.Events, fsw.Errors
		}
	}
	watched := ""
	for {
		base := nearestDir(dir)
		if base == dir {
			return nil
		}
		if add != nil && base != watched && add(base) == nil {
			if watched != "" {
				_ = remove(watched)
			}
			watched = base
			continue // look again: the next level may have come meanwhile
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-events:
		case <-errs:
		case <-changed:
		case <-tick.C:
		}
	}
}

// nearestDir returns dir when it is a directory, else its nearest ancestor
// that is one.
func nearestDir(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		dir = up
	}
}
