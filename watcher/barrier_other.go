//go:build !linux

package watcher

// haveBarrier says the barrier of notify.go cannot work here:
// ReadDirectoryChangesW reports changes inside a watched directory, not to
// the directory itself, so a mark never comes back. Files are told apart
// by size at Create, and the in-place rule (a share-mode probe on Windows)
// checks the rest.
const haveBarrier = false
