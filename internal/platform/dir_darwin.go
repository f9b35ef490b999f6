package platform

import "golang.org/x/sys/unix"

// renameAtNoReplace is renameatx_np(RENAME_EXCL);
// errNoReplaceUnsupported where the file system lacks it.
func renameAtNoReplace(fromfd int, from string, tofd int, to string) error {
	err := ignoringEINTR(func() error { return unix.RenameatxNp(fromfd, from, tofd, to, unix.RENAME_EXCL) })
	if err == unix.ENOTSUP || err == unix.EINVAL {
		return errNoReplaceUnsupported
	}
	return err
}
