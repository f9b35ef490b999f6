package platform

import (
	"os"

	"golang.org/x/sys/windows"
)

// SyncDir flushes the directory dir where Windows allows it: a directory
// handle opened for writing with FILE_FLAG_BACKUP_SEMANTICS can be passed
// to FlushFileBuffers on NTFS in recent Windows releases. Where that is
// refused it returns nil: NTFS journals its metadata, so a rename made
// with MOVEFILE_WRITE_THROUGH (RenameNoReplace) survives a crash, but a
// plain rename or a new entry may be lost at a power cut even after the
// call returned (see DirSyncDurable).
func SyncDir(dir string) error {
	name, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return &os.PathError{Op: "sync", Path: dir, Err: err}
	}
	h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return &os.PathError{Op: "sync", Path: dir, Err: err}
		}
		return nil // not allowed here: as durable as NTFS's journal makes it
	}
	defer windows.CloseHandle(h)
	_ = windows.FlushFileBuffers(h) // refused on some releases and file systems: see above
	return nil
}

// DirSyncDurable says whether SyncDir makes a directory's entries durable
// on this system. On Windows it is best effort.
const DirSyncDurable = false

// SyncRead makes the data of f, a file opened for reading (one another
// process wrote), durable. FlushFileBuffers needs a handle with write
// access, so the file is opened again for writing to flush it.
func SyncRead(f *os.File) error {
	w, err := os.OpenFile(f.Name(), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = w.Sync()
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// CanSyncDir says whether a directory's entries can be made durable by
// SyncDir: on Windows only as far as the file system's journal makes them
// (DirSyncDurable), so it answers false; the README says what that means.
func CanSyncDir(dir string) (bool, error) { return false, nil }
