package platform

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// RenameNoReplace renames oldpath to newpath, failing with an error that
// matches fs.ErrExist rather than replace an existing newpath. It uses
// renamex_np(RENAME_EXCL); where the file system lacks it, link then
// unlink gives the same guarantee.
func RenameNoReplace(oldpath, newpath string) error {
	err := unix.RenamexNp(oldpath, newpath, unix.RENAME_EXCL)
	if errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EINVAL) {
		return linkUnlink(oldpath, newpath)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}
