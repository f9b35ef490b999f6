//go:build unix

package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// TryLock takes an exclusive lock on the open file f if it is free, and
// reports whether it did: flock(2), as gofrs/flock takes it, so the two
// exclude each other. Closing f releases it.
func TryLock(f *os.File) (bool, error) {
	err := ignoringEINTR(func() error { return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) })
	switch err {
	case nil:
		return true, nil
	case unix.EWOULDBLOCK:
		return false, nil
	}
	return false, &os.PathError{Op: "lock", Path: f.Name(), Err: err}
}
