//go:build unix

package platform

import "os"

// linkUnlink renames by link(2) then unlink(2): never replacing newpath,
// and a crash between the steps leaves the file under both names.
func linkUnlink(oldpath, newpath string) error {
	if err := os.Link(oldpath, newpath); err != nil {
		return err
	}
	return os.Remove(oldpath)
}

// Rename is os.Rename: Unix renames an open file without ado.
func Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
