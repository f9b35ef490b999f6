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
//
// It is on the path of every delivery, so it makes the three system calls
// it needs (open, fsync, close) and no more: os.Open of a directory adds
// four fcntl calls and a try at the poller.
func SyncDir(dir string) error {
	fd, err := openDir(dir)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	err = ignoringEINTR(func() error { return syscall.Fsync(fd) })
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err == nil || errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return &os.PathError{Op: "sync", Path: dir, Err: err}
}

// openDir opens dir for reading, retrying when a signal interrupts.
func openDir(dir string) (int, error) {
	for {
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// ignoringEINTR runs f again while a signal interrupts it.
func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
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
