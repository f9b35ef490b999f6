package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkDirs refuses a mailbox whose directory, or whose tmp/, new/ or cur/,
// is anything but a real directory: a symbolic link there would make a
// reader list, read and rename another mailbox's files (or any directory's),
// and a sender deliver into them. Missing parts are fine (the mailbox is
// created on delivery). The check runs before every listing and delivery.
//
// It closes the case of a link put in place beforehand; a link swapped in
// between this check and the operation that follows is not caught here.
func (mb *Mailbox) checkDirs() error {
	for _, p := range []string{mb.Dir, filepath.Join(mb.Dir, "tmp"), filepath.Join(mb.Dir, "new"), filepath.Join(mb.Dir, "cur")} {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("mailbox %s: %w", mb.Name, err)
		case fi.Mode()&os.ModeSymlink != 0:
			return fmt.Errorf("%w: mailbox %s: %s is a symbolic link; links in a mailbox are never followed: move it aside",
				ErrUnsafe, mb.Name, p)
		case !fi.IsDir():
			return fmt.Errorf("%w: mailbox %s: %s is not a directory; move it aside", ErrUnavailable, mb.Name, p)
		}
	}
	return nil
}
