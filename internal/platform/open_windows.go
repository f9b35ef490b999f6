package platform

import (
	"io/fs"
	"os"
	"syscall"
)

// OpenNoFollow opens name with flag (os.O_RDONLY, os.O_RDWR|os.O_CREATE...)
// without following a final symbolic link: Windows has no O_NOFOLLOW, so a
// name that is a link (or a junction) is refused with an error matching
// syscall.ELOOP, and the opened file must be the one that was looked at.
func OpenNoFollow(name string, flag int, perm os.FileMode) (*os.File, error) {
	before, lerr := os.Lstat(name)
	if lerr == nil && before.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ELOOP}
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil || lerr != nil {
		return f, err // lerr: created just now, by us (O_EXCL) or a racer
	}
	after, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !os.SameFile(before, after) {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ELOOP}
	}
	return f, nil
}

// ONoFollow is the open(2) flag that refuses a final symbolic link, for
// opens made by other packages (a lock library); 0 where there is none.
const ONoFollow = 0
