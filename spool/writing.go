package spool

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether some process has f's file open for
// writing: a script writing a drop-in in place (a read lease is refused
// then). Where leases are not supported it answers false and the settle
// rules alone decide.
func openForWriting(f *os.File) bool {
	fd := f.Fd()
	_, err := unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK)
	if errors.Is(err, syscall.EAGAIN) {
		return true
	}
	if err == nil {
		_, _ = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_UNLCK)
	}
	return false
}
