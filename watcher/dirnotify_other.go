//go:build !darwin && !freebsd

package watcher

// newDirNotifier has nothing to offer here: inotify and
// ReadDirectoryChangesW report each file without a descriptor per file,
// so fsnotify is used.
func newDirNotifier() (dirNotifier, error) { return nil, errNoDirNotifier }
