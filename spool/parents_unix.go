//go:build unix

package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// checkParents refuses a root below a directory that another user could
// use to replace it: one owned by someone other than this user or root,
// one others may write without the sticky bit (which /tmp has), or one
// its group may write when that group is not this user's own. Whoever can
// rename the spool's parent can swap the whole spool for theirs.
func checkParents(root string) error {
	uid, gid := os.Geteuid(), os.Getegid()
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			if why := unsafeParent(fi.Mode(), int(st.Uid), int(st.Gid), uid, gid); why != "" {
				return fmt.Errorf("%w: %s, a parent of the spool, %s (mode %04o): they could replace the spool; fix it or set IPC_HOME elsewhere",
					ErrUnsafe, dir, why, fi.Mode().Perm())
			}
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}

// unsafeParent says why a parent directory with this mode and owner lets
// another user in; "" when it does not.
func unsafeParent(mode os.FileMode, owner, group, uid, gid int) string {
	sticky := mode&os.ModeSticky != 0
	switch {
	case owner != uid && owner != 0:
		return fmt.Sprintf("belongs to uid %d", owner)
	case mode.Perm()&0o002 != 0 && !sticky:
		return "is writable by every user"
	case mode.Perm()&0o020 != 0 && !sticky && group != gid:
		return fmt.Sprintf("is writable by group %d", group)
	}
	return ""
}
