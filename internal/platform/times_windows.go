package platform

import (
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// SetModTime sets the open file's access and modification times to t
// through its handle (SetFileTime; the file must be open for writing).
func SetModTime(f *os.File, t time.Time) error {
	ft := windows.NsecToFiletime(t.UnixNano())
	if err := windows.SetFileTime(windows.Handle(f.Fd()), nil, &ft, &ft); err != nil {
		return &os.PathError{Op: "SetFileTime", Path: f.Name(), Err: err}
	}
	return nil
}
