//go:build unix

package platform

import (
	"errors"
	"io/fs"
	"os"
)

// linkUnlink renames by link(2) then unlink(2): never replacing newpath,
// and a crash between the steps leaves the file under both names. A mover
// whose unlink finds oldpath gone lost a race for it and takes its link
// back, as Dir's linkUnlinkAt does.
func linkUnlink(oldpath, newpath string) error {
	if err := os.Link(oldpath, newpath); err != nil {
		return err
	}
	err := os.Remove(oldpath)
	if errors.Is(err, fs.ErrNotExist) {
		_ = os.Remove(newpath)
	}
	return err
}

// Rename is os.Rename: Unix renames an open file without ado.
func Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
