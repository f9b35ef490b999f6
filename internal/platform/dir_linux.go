package platform

import "golang.org/x/sys/unix"

// renameAtNoReplace is renameat2(RENAME_NOREPLACE);
// errNoReplaceUnsupported where the file system lacks it.
func renameAtNoReplace(fromfd int, from string, tofd int, to string) error {
	err := ignoringEINTR(func() error { return unix.Renameat2(fromfd, from, tofd, to, unix.RENAME_NOREPLACE) })
	if err == unix.EINVAL || err == unix.ENOSYS {
		return errNoReplaceUnsupported
	}
	return err
}
