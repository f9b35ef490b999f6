package platform

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Dir is a directory the spool works in, named by its path: on Windows it
// holds no handle, and each operation on a name in it is made by path
// after the directory was checked (at OpenDir) not to be a link or a
// junction. That leaves the gap the Unix Dir closes: a link swapped in for
// the directory between the check and an operation is followed. Making
// a symbolic link on Windows needs a privilege (or developer mode) that a
// user's own processes do not usually have, and the spool lives in the
// user's profile, which other accounts cannot write (ipc doctor checks
// its ACL). DirHeld says which kind of Dir this system has.
//
// A Dir is used by one goroutine at a time.
type Dir struct {
	path string
}

// OpenDir checks that path is a directory and not a link (ELOOP) or
// anything else (ENOTDIR); a missing one matches fs.ErrNotExist.
func OpenDir(path string) (*Dir, error) {
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return nil, err
	case fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0:
		return nil, &os.PathError{Op: "open", Path: path, Err: syscall.ELOOP}
	case !fi.IsDir():
		return nil, &os.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR}
	}
	return &Dir{path: path}, nil
}

// OpenDir opens the directory name in d, as the package's OpenDir does;
// name must be one component.
func (d *Dir) OpenDir(name string) (*Dir, error) {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return nil, &os.PathError{Op: "open", Path: d.Join(name), Err: syscall.EINVAL}
	}
	return OpenDir(d.Join(name))
}

// Path returns the path of d.
func (d *Dir) Path() string { return d.path }

// Join returns the path of name in d.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, name) }

// Close does nothing: no handle is held.
func (d *Dir) Close() error { return nil }

// Open opens the file name in d with OpenNoFollow.
func (d *Dir) Open(name string, flag int, perm os.FileMode) (*os.File, error) {
	return OpenNoFollow(d.Join(name), flag, perm)
}

// DirEntryStat is what a stat of a directory, or of a name in it without
// following a link, says that the spool needs.
type DirEntryStat struct {
	Dev, Ino uint64    // 0 here: Lstat carries no file index on Windows
	ModTime  time.Time // its modification time
	Type     fs.FileMode
}

func dirEntryStat(fi os.FileInfo) DirEntryStat {
	return DirEntryStat{ModTime: fi.ModTime(), Type: fi.Mode().Type()}
}

// Stat returns what Lstat says of d.
func (d *Dir) Stat() (DirEntryStat, error) {
	fi, err := os.Lstat(d.path)
	if err != nil {
		return DirEntryStat{}, err
	}
	return dirEntryStat(fi), nil
}

// Lstat returns what Lstat says of name in d.
func (d *Dir) Lstat(name string) (DirEntryStat, error) {
	fi, err := os.Lstat(d.Join(name))
	if err != nil {
		return DirEntryStat{}, err
	}
	return dirEntryStat(fi), nil
}

// Names calls fn with the names in d, batch at a time, until fn returns
// false or the names run out.
func (d *Dir) Names(batch int, fn func(name string) bool) error {
	f, err := os.Open(d.path)
	if err != nil {
		return err
	}
	defer f.Close()
	return eachName(f, batch, fn)
}

// Rename is Rename of the two paths.
func (d *Dir) Rename(oldname string, to *Dir, newname string) error {
	return Rename(d.Join(oldname), to.Join(newname))
}

// RenameNoReplace is RenameNoReplace of the two paths.
func (d *Dir) RenameNoReplace(oldname string, to *Dir, newname string) error {
	return RenameNoReplace(d.Join(oldname), to.Join(newname))
}

// Link is os.Link of the two paths.
func (d *Dir) Link(oldname string, to *Dir, newname string) error {
	return os.Link(d.Join(oldname), to.Join(newname))
}

// Remove is os.Remove of name in d.
func (d *Dir) Remove(name string) error { return os.Remove(d.Join(name)) }

// Mkdir is os.Mkdir of name in d.
func (d *Dir) Mkdir(name string, perm os.FileMode) error { return os.Mkdir(d.Join(name), perm) }

// Sync is SyncDir of d's path: best effort on Windows (DirSyncDurable).
func (d *Dir) Sync() error { return SyncDir(d.path) }

// DirHeld says whether a Dir holds a descriptor on this system, so that a
// link swapped into its path after it was opened is never followed.
const DirHeld = false
