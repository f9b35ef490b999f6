package platform

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// ChangeTime returns the later of the file's creation and modification
// times: Windows keeps no inode change time, and a move keeps both.
func ChangeTime(fi os.FileInfo) time.Time {
	t := fi.ModTime()
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
		if c := time.Unix(0, d.CreationTime.Nanoseconds()); c.After(t) {
			return c
		}
	}
	return t
}

// FileID returns the open file's NTFS file index (its inode number) and
// link count.
func FileID(f *os.File) (ino, nlink uint64, err error) {
	var d windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &d); err != nil {
		return 0, 0, &os.PathError{Op: "GetFileInformationByHandle", Path: f.Name(), Err: err}
	}
	return uint64(d.FileIndexHigh)<<32 | uint64(d.FileIndexLow), uint64(d.NumberOfLinks), nil
}

// OwnedByOther answers false: file owners (SIDs) are not checked on
// Windows; the spool relies on the profile directory's ACL instead.
func OwnedByOther(fi os.FileInfo) (owner string, other bool) { return "", false }

// OwnershipChecked says whether OwnedByOther can answer on this system.
const OwnershipChecked = false

// StatIno answers false: the FileInfo of Stat and Lstat on Windows carries
// no file index (FileID gets it from an open handle).
func StatIno(fi os.FileInfo) (uint64, bool) { return 0, false }
