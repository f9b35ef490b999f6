package platform

import (
	"os"

	"golang.org/x/sys/windows"
)

// TryLock takes an exclusive lock on the open file f if it is free, and
// reports whether it did: LockFileEx on its first byte, as gofrs/flock
// takes it, so the two exclude each other. Closing f releases it.
func TryLock(f *os.File) (bool, error) {
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY,
		0, 1, 0, &windows.Overlapped{})
	switch err {
	case nil:
		return true, nil
	case windows.ERROR_LOCK_VIOLATION, windows.ERROR_IO_PENDING:
		return false, nil
	}
	return false, &os.PathError{Op: "lock", Path: f.Name(), Err: err}
}
