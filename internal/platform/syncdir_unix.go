//go:build unix

package platform

import (
	"errors"
	"os"
	"syscall"
)

// SyncDir fsyncs the directory dir, so the entries created, renamed or
// removed in it are durable. A file system that cannot fsync a directory
// (EINVAL) is not an error: its entries are as durable as it makes them.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return err
}

// CanSyncDir says whether the file system holding dir can fsync a
// directory at all (SyncDir passes over EINVAL and ENOTSUP, where it
// cannot).
func CanSyncDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = f.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return false, nil
	}
	return err == nil, err
}

// DirSyncDurable says whether SyncDir makes a directory's entries durable
// on this system (where the file system supports it).
const DirSyncDurable = true

// SyncRead makes the data of f, a file opened for reading (one another
// process wrote), durable: fsync works on any descriptor here.
func SyncRead(f *os.File) error { return f.Sync() }
