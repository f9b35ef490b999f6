package platform

import (
	"os"

	"golang.org/x/sys/windows"
)

// RenameNoReplace renames oldpath to newpath, failing with an error that
// matches fs.ErrExist rather than replace an existing newpath (ERROR_ALREADY_EXISTS matches it). It uses
// MoveFileEx without MOVEFILE_REPLACE_EXISTING, with MOVEFILE_WRITE_THROUGH
// so the move is on disk when it returns.
func RenameNoReplace(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(oldpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	to, err := windows.UTF16PtrFromString(newpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	err = windows.MoveFileEx(from, to, windows.MOVEFILE_WRITE_THROUGH)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}
