//go:build unix

package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// DupNonblock returns a non-blocking, close-on-exec duplicate of f (a pipe
// or socket), so writes to it can time out without putting f itself in
// non-blocking mode for others who share it. ok is false when it cannot.
func DupNonblock(f *os.File) (dup *os.File, ok bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false
	}
	fd := -1
	if cerr := rc.Control(func(orig uintptr) {
		if d, err := unix.FcntlInt(orig, unix.F_DUPFD_CLOEXEC, 0); err == nil {
			fd = d
		}
	}); cerr != nil || fd < 0 {
		return nil, false
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, false
	}
	return os.NewFile(uintptr(fd), f.Name()), true
}
