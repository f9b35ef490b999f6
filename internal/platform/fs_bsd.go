//go:build darwin || freebsd

package platform

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// bsdKnown are the local file systems, by f_fstypename, that have every
// operation ipc needs. Others (msdos, exfat, macFUSE) are probed.
var bsdKnown = map[string]bool{"apfs": true, "hfs": true, "ufs": true, "zfs": true, "tmpfs": true}

// FileSystem says what file system holds path, from statfs(2)'s
// f_fstypename, and whether it is remote from MNT_LOCAL.
func FileSystem(path string) (FSInfo, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return FSInfo{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	name := unix.ByteSliceToString(st.Fstypename[:])
	remote := st.Flags&unix.MNT_LOCAL == 0
	return FSInfo{Name: name, Remote: remote, Known: !remote && bsdKnown[name]}, nil
}
