//go:build unix

package platform

import (
	"os"
	"syscall"
)

// OpenNoFollow opens name with flag (os.O_RDONLY, os.O_RDWR|os.O_CREATE...)
// without following a final symbolic link, close-on-exec, and for reading
// without blocking on a FIFO. A link is refused with an error matching
// syscall.ELOOP.
func OpenNoFollow(name string, flag int, perm os.FileMode) (*os.File, error) {
	flag |= syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		flag |= syscall.O_NONBLOCK
	}
	return os.OpenFile(name, flag, perm)
}

// ONoFollow is the open(2) flag that refuses a final symbolic link, for
// opens made by other packages (a lock library); 0 where there is none.
const ONoFollow = syscall.O_NOFOLLOW
