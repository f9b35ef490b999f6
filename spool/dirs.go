package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/claude-ipc/ipc/internal/platform"
)

// Held directories. A mailbox's directories are opened one component at
// a time below the spool root, never following a symbolic link (mail/,
// then mail/NAME, then its tmp/, new/ and cur/), and held open for the
// whole of one operation: a listing, a delivery, a claim of a batch, a
// move. Every listing, open, rename, link and fsync in the mailbox is then
// made relative to the held directories (openat, renameat2, linkat,
// fsync of the held descriptor), so a link swapped into mail/NAME, new/,
// cur/ or tmp/ after they were opened is never followed: a reader cannot
// be made to list, read or rename another mailbox's files (or any
// directory's), nor a sender to deliver into them. A link already there
// when the operation begins is refused (ErrUnsafe), as before.
//
// On the system's FS (OS) the directories are platform.Dir descriptors.
// Any other FS (the tests' fault injection and power-loss recorder)
// gets pathDir: the same operations, in the same order, made by path
// through that FS after the same lstat checks, so it sees every write,
// rename and fsync. On Windows platform.Dir holds no handle (see its
// doc): there the check-then-act gap remains.

// dir is a directory held for one operation.
type dir interface {
	path() string
	join(name string) string
	// sub opens the directory name in this one, never following a link.
	sub(name string) (dir, error)
	// create makes a new file name for writing; it fails if name exists.
	create(name string, perm os.FileMode) (File, error)
	// open opens name for reading, never following a link.
	open(name string) (*os.File, error)
	// openFile opens name with flag as FS.OpenFile does (lock files).
	openFile(name string, flag int, perm os.FileMode) (*os.File, error)
	stat() (platform.DirEntryStat, error)
	lstat(name string) (platform.DirEntryStat, error)
	// names calls fn with each name listed, in batches, until fn says stop.
	names(fn func(name string) bool) error
	rename(oldname string, to dir, newname string) error
	renameNoReplace(oldname string, to dir, newname string) error
	link(oldname string, to dir, newname string) error
	remove(name string) error
	mkdir(name string, perm os.FileMode) error
	sync() error
	// ident names the directory itself for the group commit: its device
	// and inode where held, else its path.
	ident() string
	close()
}

// dirHolder is an FS whose directories can be held open as descriptors:
// OS alone. A wrapper that embeds an FS does not get the method (it is
// not in FS), so it is given pathDirs and sees every operation.
type dirHolder interface {
	holdDir(path string) (*platform.Dir, error)
}

func (osFS) holdDir(path string) (*platform.Dir, error) { return platform.OpenDir(path) }

// openDir opens the directory at path (its last component never a link)
// to do operations in it.
func (s *Spool) openDir(path string) (dir, error) {
	if h, ok := s.fs.(dirHolder); ok {
		d, err := h.holdDir(path)
		if err != nil {
			return nil, err
		}
		return &heldDir{d: d}, nil
	}
	if err := lstatDir(path); err != nil {
		return nil, err
	}
	return &pathDir{fs: s.fs, p: path}, nil
}

// lstatDir is pathDir's check: path is a directory, not a link.
func lstatDir(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return err
	case fi.Mode()&os.ModeSymlink != 0:
		return &os.PathError{Op: "open", Path: path, Err: syscall.ELOOP}
	case !fi.IsDir():
		return &os.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR}
	}
	return nil
}

// heldDir is a platform.Dir: operations relative to a held descriptor.
type heldDir struct {
	d  *platform.Dir
	id string // "dev:ino", once asked
}

func (h *heldDir) path() string            { return h.d.Path() }
func (h *heldDir) join(name string) string { return h.d.Join(name) }
func (h *heldDir) sub(name string) (dir, error) {
	d, err := h.d.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return &heldDir{d: d}, nil
}
func (h *heldDir) create(name string, perm os.FileMode) (File, error) {
	f, err := h.d.Open(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, err // a typed nil *os.File must not become a non-nil File
	}
	return f, nil
}
func (h *heldDir) open(name string) (*os.File, error) { return h.d.Open(name, os.O_RDONLY, 0) }
func (h *heldDir) openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return h.d.Open(name, flag, perm)
}
func (h *heldDir) stat() (platform.DirEntryStat, error) {
	st, err := h.d.Stat()
	if err == nil && h.id == "" {
		h.id = heldIdent(h.d, st)
	}
	return st, err
}
func (h *heldDir) lstat(name string) (platform.DirEntryStat, error) { return h.d.Lstat(name) }
func (h *heldDir) names(fn func(string) bool) error                 { return h.d.Names(listBatch, fn) }
func (h *heldDir) rename(o string, to dir, n string) error {
	t, err := h.other(to, n)
	if err != nil {
		return err
	}
	return h.d.Rename(o, t, n)
}
func (h *heldDir) renameNoReplace(o string, to dir, n string) error {
	t, err := h.other(to, n)
	if err != nil {
		return err
	}
	return h.d.RenameNoReplace(o, t, n)
}
func (h *heldDir) link(o string, to dir, n string) error {
	t, err := h.other(to, n)
	if err != nil {
		return err
	}
	return h.d.Link(o, t, n)
}

// other returns the held directory to, where name is to go: a missing one
// (nil) matches fs.ErrNotExist.
func (h *heldDir) other(to dir, name string) (*platform.Dir, error) {
	t, ok := to.(*heldDir)
	if !ok || t == nil {
		return nil, &fs.PathError{Op: "rename", Path: name, Err: fs.ErrNotExist}
	}
	return t.d, nil
}
func (h *heldDir) remove(name string) error { return h.d.Remove(name) }
func (h *heldDir) mkdir(name string, perm os.FileMode) error {
	return h.d.Mkdir(name, perm)
}
func (h *heldDir) sync() error { return h.d.Sync() }
func (h *heldDir) ident() string {
	if h.id == "" {
		if _, err := h.stat(); err != nil { // stat keeps the id
			return h.d.Path()
		}
	}
	return h.id
}

// heldIdent is "dev:ino" of a held directory, its path where the system
// gives no inode numbers.
func heldIdent(d *platform.Dir, st platform.DirEntryStat) string {
	if st.Ino == 0 {
		return d.Path()
	}
	return strconv.FormatUint(st.Dev, 10) + ":" + strconv.FormatUint(st.Ino, 10)
}
func (h *heldDir) close() { _ = h.d.Close() }

// pathDir does a dir's operations by path through an FS.
type pathDir struct {
	fs FS
	p  string
}

func (d *pathDir) path() string            { return d.p }
func (d *pathDir) join(name string) string { return filepath.Join(d.p, name) }
func (d *pathDir) sub(name string) (dir, error) {
	p := d.join(name)
	if err := lstatDir(p); err != nil {
		return nil, err
	}
	return &pathDir{fs: d.fs, p: p}, nil
}
func (d *pathDir) create(name string, perm os.FileMode) (File, error) {
	return d.fs.Create(d.join(name), perm)
}
func (d *pathDir) open(name string) (*os.File, error) { return openNoFollow(d.join(name)) }
func (d *pathDir) openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return d.fs.OpenFile(d.join(name), flag, perm)
}
func (d *pathDir) stat() (platform.DirEntryStat, error) { return lstatEntry(d.p) }
func (d *pathDir) lstat(name string) (platform.DirEntryStat, error) {
	return lstatEntry(d.join(name))
}
func (d *pathDir) names(fn func(string) bool) error {
	// OpenDir refuses a link or a file as lstatDir does, with the same
	// errors. It reads only: the FS sees every write.
	held, err := platform.OpenDir(d.p)
	if err != nil {
		return err
	}
	defer held.Close()
	return held.Names(listBatch, fn)
}
func (d *pathDir) rename(o string, to dir, n string) error {
	if to == nil {
		return &fs.PathError{Op: "rename", Path: n, Err: fs.ErrNotExist}
	}
	return d.fs.Rename(d.join(o), to.join(n))
}
func (d *pathDir) renameNoReplace(o string, to dir, n string) error {
	if to == nil {
		return &fs.PathError{Op: "rename", Path: n, Err: fs.ErrNotExist}
	}
	return d.fs.RenameNoReplace(d.join(o), to.join(n))
}
func (d *pathDir) link(o string, to dir, n string) error {
	if to == nil {
		return &fs.PathError{Op: "link", Path: n, Err: fs.ErrNotExist}
	}
	return d.fs.Link(d.join(o), to.join(n))
}
func (d *pathDir) remove(name string) error { return d.fs.Remove(d.join(name)) }
func (d *pathDir) mkdir(name string, perm os.FileMode) error {
	return d.fs.Mkdir(d.join(name), perm)
}
func (d *pathDir) sync() error   { return d.fs.SyncDir(d.p) }
func (d *pathDir) ident() string { return d.p }
func (d *pathDir) close()        {}

// lstatEntry is os.Lstat as a platform.DirEntryStat.
func lstatEntry(path string) (platform.DirEntryStat, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return platform.DirEntryStat{}, err
	}
	ino, _ := platform.StatIno(fi)
	return platform.DirEntryStat{Ino: ino, ModTime: fi.ModTime(), Type: fi.Mode().Type()}, nil
}

// subNames are a Maildir's directories, in the order held keeps them.
var subNames = [3]string{"tmp", "new", "cur"}

// subIndex returns the index of "tmp", "new" or "cur", or -1.
func subIndex(sub string) int {
	for i, n := range subNames {
		if n == sub {
			return i
		}
	}
	return -1
}

// held is a Maildir's directories held for one operation. parent is the
// directory holding it (mail/ for a mailbox; nil for remote/); box and
// subs are nil where missing (a mailbox not created yet, or being
// repaired), and an operation on a missing one finds nothing.
type held struct {
	name   string // for errors: the mailbox's name
	parent dir
	box    dir
	subs   [3]dir
}

// complete reports whether the whole Maildir is there and held.
func (h *held) complete() bool {
	return h.box != nil && h.subs[0] != nil && h.subs[1] != nil && h.subs[2] != nil
}

// at returns the held tmp/, new/ or cur/, nil when missing.
func (h *held) at(sub string) dir {
	if i := subIndex(sub); i >= 0 {
		return h.subs[i]
	}
	return nil
}

func (h *held) close() {
	for _, d := range append([]dir{h.parent, h.box}, h.subs[:]...) {
		if d != nil {
			d.close()
		}
	}
}

// holdMailbox opens and holds mail/, mail/NAME and its tmp/, new/, cur/.
func (s *Spool) holdMailbox(name string) (*held, error) {
	h, err := s.holdBox(name)
	if err != nil || h.box == nil {
		return h, err
	}
	return h, h.holdSubs()
}

// holdMaildir holds the Maildir at path (remote/), which has no parent
// held.
func (s *Spool) holdMaildir(path string) (*held, error) {
	h := &held{name: filepath.Base(path)}
	box, err := s.openDir(path)
	if err := h.take(box, err); err != nil || box == nil {
		return h, err
	}
	h.box = box
	return h, h.holdSubs()
}

// holdSubs opens the held box's tmp/, new/ and cur/.
func (h *held) holdSubs() error {
	for i, n := range subNames {
		d, err := h.box.sub(n)
		if err := h.take(d, err); err != nil {
			return err
		}
		h.subs[i] = d
	}
	return nil
}

// take passes a missing directory over and refuses what cannot be held,
// closing what is held so far.
func (h *held) take(d dir, err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	h.close()
	return h.refused(err)
}

// refused says why a mailbox's directory could not be held: a link there
// is never followed (ErrUnsafe), a file is not a mailbox (ErrUnavailable).
func (h *held) refused(err error) error {
	var pe *os.PathError
	p := ""
	if errors.As(err, &pe) {
		p = pe.Path
	}
	switch {
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("%w: mailbox %s: %s is a symbolic link; links in a mailbox are never followed: move it aside",
			ErrUnsafe, h.name, p)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w: mailbox %s: %s is not a directory; move it aside", ErrUnavailable, h.name, p)
	}
	return fmt.Errorf("mailbox %s: %w", h.name, err)
}

// record returns the durable record of the held directories as it would
// be written now (see durable.go); "" when one is missing or the system
// gives no inode numbers.
func (h *held) record() (string, error) {
	if h.box == nil {
		return "", nil
	}
	var ino [4]uint64
	var mtime int64
	for i, d := range append([]dir{h.box}, h.subs[:]...) {
		if d == nil {
			return "", nil
		}
		st, err := d.stat()
		if err != nil {
			return "", fmt.Errorf("mailbox %s: %w", h.name, err)
		}
		if st.Ino == 0 {
			return "", nil
		}
		ino[i] = st.Ino
		if i == 0 {
			mtime = st.ModTime.UnixNano()
		}
	}
	return fmt.Sprintf("durable v1 %d %d %d %d %d\n", ino[0], ino[1], ino[2], ino[3], mtime), nil
}

// hold returns mb with its directories held, and the function that lets
// them go; a mailbox already held is returned as it is, with a release
// that does nothing (whoever held it releases it). Every operation in a
// mailbox goes through hold, so that what it does is relative to
// directories opened without following a link.
func (mb *Mailbox) hold() (*Mailbox, func(), error) {
	if mb.held != nil {
		return mb, func() {}, nil
	}
	h, err := mb.sp.holdMailbox(mb.Name)
	if err != nil {
		return nil, nil, err
	}
	c := *mb
	c.held = h
	return &c, h.close, nil
}

// heldBox returns mb's held mail/NAME; nil when mb is not held or the
// directory is missing.
func (mb *Mailbox) heldBox() dir {
	if mb.held == nil {
		return nil
	}
	return mb.held.box
}

// sub returns mb's held tmp/, new/ or cur/; nil when missing. mb must be
// held.
func (mb *Mailbox) sub(name string) dir { return mb.held.at(name) }

// errMissing is an operation on a directory of a mailbox that is not
// there: it matches fs.ErrNotExist.
func errMissing(mb *Mailbox, sub string) error {
	return &fs.PathError{Op: "open", Path: filepath.Join(mb.Dir, sub), Err: fs.ErrNotExist}
}

// gone reports whether the entry e is no longer in the held mb (read or
// moved meanwhile).
func (mb *Mailbox) gone(e entry) bool {
	d := mb.sub(e.dir)
	if d == nil {
		return true
	}
	_, err := d.lstat(e.name)
	return errors.Is(err, fs.ErrNotExist)
}
