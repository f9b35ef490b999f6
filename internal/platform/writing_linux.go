package platform

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenForWriting reports whether another process has f's file open for
// writing. On Linux a read lease is refused (EAGAIN) exactly then. known is
// false where the answer cannot be had: a file of another user, or a file
// system without leases (NFS, FUSE, overlayfs on some kernels).
func OpenForWriting(f *os.File) (open, known bool) {
	fd := f.Fd()
	_, err := unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK)
	switch {
	case errors.Is(err, syscall.EAGAIN):
		return true, true
	case err != nil:
		return false, false
	}
	_, _ = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_UNLCK)
	return false, true
}
