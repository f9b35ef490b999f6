//go:build unix

package platform

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// SetModTime sets the open file's access and modification times to t
// through its descriptor (futimes): a link swapped in for its path since
// it was opened changes nothing.
func SetModTime(f *os.File, t time.Time) error {
	tv := unix.NsecToTimeval(t.UnixNano())
	if err := ignoringEINTR(func() error { return unix.Futimes(int(f.Fd()), []unix.Timeval{tv, tv}) }); err != nil {
		return &os.PathError{Op: "futimes", Path: f.Name(), Err: err}
	}
	return nil
}
