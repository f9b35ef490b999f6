package watcher

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WaitForDir returns once dir exists, or with ctx's error. It watches the
// nearest existing ancestor of dir with inotify, going down as each level
// appears, and looks again every poll interval besides (the only way with
// IPC_POLL=1, or where inotify fails).
func WaitForDir(ctx context.Context, dir string, wo Options) error {
	interval := wo.PollInterval
	if interval <= 0 {
		interval = defaultPollInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var fsw *fsnotify.Watcher
	var events <-chan fsnotify.Event
	var errs <-chan error
	if !wo.Poll {
		if w, err := fsnotify.NewWatcher(); err == nil {
			fsw = w
			defer fsw.Close()
			events, errs = fsw.Events, fsw.Errors
		}
	}
	watched := ""
	for {
		base := nearestDir(dir)
		if base == dir {
			return nil
		}
		if fsw != nil && base != watched && fsw.Add(base) == nil {
			if watched != "" {
				_ = fsw.Remove(watched)
			}
			watched = base
			continue // look again: the next level may have come meanwhile
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-events:
		case <-errs:
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
