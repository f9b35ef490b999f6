package platform

import (
	"errors"
	"os"
	"time"

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
	err = retryShared(func() error { return windows.MoveFileEx(from, to, windows.MOVEFILE_WRITE_THROUGH) })
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// Rename is os.Rename, waiting out a sharing violation as RenameNoReplace
// does.
func Rename(oldpath, newpath string) error {
	return retryShared(func() error { return os.Rename(oldpath, newpath) })
}

// sharedFor bounds how long a rename waits for a file another reader has
// open. Windows refuses to rename an open file unless every opener allowed
// it (FILE_SHARE_DELETE, which Go's os.Open does not ask for): a reader of
// new/ that has a message open for a moment (a follower, the leader's
// index) makes a claim or an unclaim of it fail with
// ERROR_SHARING_VIOLATION where Unix would not care.
const sharedFor = 2 * time.Second

// retryShared runs a rename until it does not fail with a sharing
// violation, or sharedFor has passed.
func retryShared(rename func() error) error {
	end := time.Now().Add(sharedFor)
	pause := time.Millisecond
	for {
		err := rename()
		if !errors.Is(err, windows.ERROR_SHARING_VIOLATION) || time.Now().After(end) {
			return err
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}
