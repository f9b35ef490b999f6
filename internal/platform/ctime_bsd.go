//go:build darwin || freebsd || netbsd

package platform

import (
	"os"
	"syscall"
	"time"
)

// ChangeTime returns the inode change time of the file fi describes (set
// by a rename or link into a directory), or its modification time when fi
// carries no stat.
func ChangeTime(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctimespec.Unix())
	}
	return fi.ModTime()
}
