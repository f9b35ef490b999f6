//go:build unix

package platform

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Dir is a directory held open: every operation on a name in it is made
// relative to the descriptor (openat, renameat, linkat, unlinkat,
// fstatat), so a symbolic link swapped in for the directory after it was
// opened, or for any directory above it, is never followed. A Dir is
// opened without following a final symbolic link; the directories below
// it are opened the same way, one component at a time, with OpenDir.
//
// A Dir is used by one goroutine at a time.
type Dir struct {
	fd   int
	path string // for errors and for the paths of what is in it
}

// dirFlags open a directory to hold: read-only, never a link, never a
// file, closed on exec.
const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// OpenDir opens the directory at path to hold it. A final symbolic link
// is refused with an error matching syscall.ELOOP and anything else that
// is not a directory with one matching syscall.ENOTDIR; a missing one
// matches fs.ErrNotExist. Links in the components above the last are
// followed, as any path is: hold the top directory and open the rest
// with Dir.OpenDir.
func OpenDir(path string) (*Dir, error) { return openDirAt(unix.AT_FDCWD, path, path) }

// OpenDir opens the directory name in d, as the package's OpenDir does
// but relative to d: name must be one component.
func (d *Dir) OpenDir(name string) (*Dir, error) {
	if err := oneName(name); err != nil {
		return nil, &os.PathError{Op: "open", Path: d.Join(name), Err: err}
	}
	return openDirAt(d.fd, name, d.Join(name))
}

func openDirAt(at int, name, path string) (*Dir, error) {
	var fd int
	err := ignoringEINTR(func() (err error) { fd, err = unix.Openat(at, name, dirFlags, 0); return err })
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: whyRefused(at, name, err)}
	}
	return &Dir{fd: fd, path: path}, nil
}

// whyRefused turns the errors systems give for a final link under
// O_NOFOLLOW (ELOOP on Linux and macOS, EMLINK on FreeBSD, ENOTDIR or
// EFTYPE beside O_DIRECTORY) into ELOOP for a link and ENOTDIR for any
// other file that is not a directory, by looking at what is there.
func whyRefused(at int, name string, err error) error {
	switch err {
	case unix.ENOENT, unix.EACCES, unix.EINVAL, unix.EMFILE, unix.ENFILE:
		return err
	}
	var st unix.Stat_t
	if unix.Fstatat(at, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return syscall.ELOOP
	case unix.S_IFDIR:
		return err
	}
	return syscall.ENOTDIR
}

// oneName refuses a name that is not a single component of a path.
func oneName(name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return syscall.EINVAL
	}
	return nil
}

// Path returns the path d was opened at (or would have, one component at
// a time).
func (d *Dir) Path() string { return d.path }

// Join returns the path of name in d.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, name) }

// Close releases the descriptor.
func (d *Dir) Close() error {
	if d == nil || d.fd < 0 {
		return nil
	}
	err := syscall.Close(d.fd)
	d.fd = -1
	return err
}

// Open opens the file name in d with flag, as OpenNoFollow opens a path:
// a final link refused (ELOOP), close-on-exec, reads that never block on
// a FIFO.
func (d *Dir) Open(name string, flag int, perm os.FileMode) (*os.File, error) {
	if err := oneName(name); err != nil {
		return nil, &os.PathError{Op: "open", Path: d.Join(name), Err: err}
	}
	flag |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		flag |= unix.O_NONBLOCK
	}
	var fd int
	err := ignoringEINTR(func() (err error) { fd, err = unix.Openat(d.fd, name, flag, uint32(perm.Perm())); return err })
	if err != nil {
		if err == unix.EMLINK { // FreeBSD's word for a link under O_NOFOLLOW
			err = whyRefused(d.fd, name, err)
		}
		return nil, &os.PathError{Op: "open", Path: d.Join(name), Err: err}
	}
	return os.NewFile(uintptr(fd), d.Join(name)), nil
}

// DirEntryStat is what a stat of a directory, or of a name in it without
// following a link, says that the spool needs.
type DirEntryStat struct {
	Dev, Ino uint64    // the file's identity
	ModTime  time.Time // its modification time
	Type     fs.FileMode
}

func dirEntryStat(st *unix.Stat_t) DirEntryStat {
	s := DirEntryStat{Dev: uint64(st.Dev), Ino: uint64(st.Ino), ModTime: time.Unix(st.Mtim.Unix())}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		s.Type = fs.ModeDir
	case unix.S_IFLNK:
		s.Type = fs.ModeSymlink
	case unix.S_IFREG:
	case unix.S_IFIFO:
		s.Type = fs.ModeNamedPipe
	default:
		s.Type = fs.ModeIrregular
	}
	return s
}

// Stat returns what fstat says of d itself.
func (d *Dir) Stat() (DirEntryStat, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(d.fd, &st) }); err != nil {
		return DirEntryStat{}, &os.PathError{Op: "stat", Path: d.path, Err: err}
	}
	return dirEntryStat(&st), nil
}

// Lstat returns what a stat of name in d says, not following a link.
func (d *Dir) Lstat(name string) (DirEntryStat, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return DirEntryStat{}, &os.PathError{Op: "lstat", Path: d.Join(name), Err: err}
	}
	return dirEntryStat(&st), nil
}

// Names calls fn with the names in d, batch at a time from the system
// ("." and ".." left out), until fn returns false or the names run out.
// The listing is of the held directory: a "." opened relative to it.
func (d *Dir) Names(batch int, fn func(name string) bool) error {
	var fd int
	err := ignoringEINTR(func() (err error) { fd, err = unix.Openat(d.fd, ".", dirFlags&^unix.O_NOFOLLOW, 0); return err })
	if err != nil {
		return &os.PathError{Op: "open", Path: d.path, Err: err}
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	return eachName(f, batch, fn)
}

// Rename renames oldname in d to newname in to, replacing what is there.
func (d *Dir) Rename(oldname string, to *Dir, newname string) error {
	err := ignoringEINTR(func() error { return unix.Renameat(d.fd, oldname, to.fd, newname) })
	if err != nil {
		return &os.LinkError{Op: "rename", Old: d.Join(oldname), New: to.Join(newname), Err: err}
	}
	return nil
}

// RenameNoReplace renames oldname in d to newname in to, failing with an
// error that matches fs.ErrExist rather than replace an existing one, as
// the package's RenameNoReplace does for paths.
func (d *Dir) RenameNoReplace(oldname string, to *Dir, newname string) error {
	err := renameAtNoReplace(d.fd, oldname, to.fd, newname)
	if err == errNoReplaceUnsupported {
		err = d.linkUnlinkAt(oldname, to, newname)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: d.Join(oldname), New: to.Join(newname), Err: err}
	}
	return nil
}

// errNoReplaceUnsupported is a file system without a no-replace rename.
var errNoReplaceUnsupported = errors.New("no-replace rename unsupported")

// linkUnlinkAt renames by linkat then unlinkat: never replacing newname,
// and a crash between the steps leaves both names, never none. Of movers
// racing for oldname under different new names each links; the one whose
// unlink finds oldname gone lost and takes its link back, so the file is
// moved once.
func (d *Dir) linkUnlinkAt(oldname string, to *Dir, newname string) error {
	if err := unix.Linkat(d.fd, oldname, to.fd, newname, 0); err != nil {
		return err
	}
	err := unix.Unlinkat(d.fd, oldname, 0)
	if err == unix.ENOENT {
		_ = unix.Unlinkat(to.fd, newname, 0)
	}
	return err
}

// Link makes newname in to a second name of oldname in d (a link itself,
// never what it points to); it fails if newname exists.
func (d *Dir) Link(oldname string, to *Dir, newname string) error {
	if err := unix.Linkat(d.fd, oldname, to.fd, newname, 0); err != nil {
		return &os.LinkError{Op: "link", Old: d.Join(oldname), New: to.Join(newname), Err: err}
	}
	return nil
}

// Remove removes the file or empty directory name in d.
func (d *Dir) Remove(name string) error {
	err := unix.Unlinkat(d.fd, name, 0)
	if err == unix.EISDIR || err == unix.EPERM {
		if derr := unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR); derr != unix.ENOTDIR {
			err = derr
		}
	}
	if err != nil {
		return &os.PathError{Op: "remove", Path: d.Join(name), Err: err}
	}
	return nil
}

// Mkdir makes the directory name in d.
func (d *Dir) Mkdir(name string, perm os.FileMode) error {
	if err := unix.Mkdirat(d.fd, name, uint32(perm.Perm())); err != nil {
		return &os.PathError{Op: "mkdir", Path: d.Join(name), Err: err}
	}
	return nil
}

// Sync fsyncs d, so the entries made, renamed or removed in it are
// durable; like SyncDir it passes over a file system that cannot (EINVAL).
func (d *Dir) Sync() error {
	err := ignoringEINTR(func() error { return syscall.Fsync(d.fd) })
	if err == nil || errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return &os.PathError{Op: "sync", Path: d.path, Err: err}
}

// DirHeld says whether a Dir holds a descriptor on this system, so that a
// link swapped into its path after it was opened is never followed.
const DirHeld = true
