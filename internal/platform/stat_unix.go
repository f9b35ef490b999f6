//go:build unix

package platform

import (
	"os"
	"strconv"
	"syscall"
)

// FileID returns the open file's inode number and link count.
func FileID(f *os.File) (ino, nlink uint64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino), uint64(st.Nlink), nil
	}
	return 0, 0, nil
}

// OwnedByOther reports whether the file fi describes belongs to a user
// other than the effective one, and that owner's uid as text.
func OwnedByOther(fi os.FileInfo) (owner string, other bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return "", false
	}
	return "uid " + strconv.Itoa(int(st.Uid)), true
}

// OwnershipChecked says whether OwnedByOther can answer on this system.
const OwnershipChecked = true

// StatIno returns the inode number in fi, a result of Stat or Lstat;
// false when fi carries none.
func StatIno(fi os.FileInfo) (uint64, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino), true
	}
	return 0, false
}
