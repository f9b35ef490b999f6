package spool

import (
	"io"
	"os"
	"path/filepath"

	"github.com/claude-ipc/ipc/internal/platform"
)

// FS is the set of file-system writes the spool performs. It is a seam for
// tests, which wrap OS to inject ENOSPC, EACCES and crashes between steps.
type FS interface {
	// Create opens a new file for writing; it fails if name exists.
	Create(name string, perm os.FileMode) (File, error)
	Rename(oldpath, newpath string) error
	// RenameNoReplace renames like Rename but fails with an error matching
	// fs.ErrExist rather than replace an existing newpath.
	RenameNoReplace(oldpath, newpath string) error
	// Link makes newpath a second name of oldpath; it fails if newpath exists.
	Link(oldpath, newpath string) error
	Remove(name string) error
	Mkdir(name string, perm os.FileMode) error
	// OpenFile opens name without following a symbolic link, creating it
	// (perm) when flag has O_CREATE: the lock files and the rate file,
	// which are opened where they are rather than replaced.
	OpenFile(name string, flag int, perm os.FileMode) (*os.File, error)
	// SyncDir fsyncs a directory so the entries created in it are durable.
	SyncDir(dir string) error
}

// File is a file being written through an FS.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// OS is the FS of the running system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) Create(name string, perm os.FileMode) (File, error) {
	return platform.OpenNoFollow(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
}

// Rename is platform.Rename: os.Rename, which on Windows waits out a
// reader that has the file open for a moment.
func (osFS) Rename(oldpath, newpath string) error { return platform.Rename(oldpath, newpath) }
func (osFS) Link(oldpath, newpath string) error   { return os.Link(oldpath, newpath) }

// RenameNoReplace is platform.RenameNoReplace: renameat2, renamex_np or
// MoveFileEx where the system has one, link then unlink where it has not.
func (osFS) RenameNoReplace(oldpath, newpath string) error {
	return platform.RenameNoReplace(oldpath, newpath)
}

func (osFS) Remove(name string) error { return os.Remove(name) }
func (osFS) Mkdir(name string, perm os.FileMode) error {
	return os.Mkdir(name, perm)
}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return platform.OpenNoFollow(name, flag, perm)
}

// SyncDir is platform.SyncDir: fsync of the directory, where the system
// and the file system allow one.
func (osFS) SyncDir(dir string) error { return platform.SyncDir(dir) }

// openNoFollow opens name for reading without following a final symlink and
// without blocking on a FIFO.
func openNoFollow(name string) (*os.File, error) {
	return platform.OpenNoFollow(name, os.O_RDONLY, 0)
}

// readNoFollow reads a small state file without following a symlink.
func readNoFollow(name string) ([]byte, error) {
	f, err := openNoFollow(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

// writeFileAtomic writes data to path durably: a temporary file beside it,
// fsync, rename over path, fsync of the directory. A reader sees the old
// content or the new, never a part.
func (s *Spool) writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return s.replaceFile(path, data, perm, true)
}

// writeAdvisory replaces path with data as writeFileAtomic does, without
// the fsyncs: for records whose loss in a power cut costs only a repeat
// (a holder record, a durable record, what a session was told). A reader
// still sees the old content or the new, never a part.
func (s *Spool) writeAdvisory(path string, data []byte) error {
	return s.replaceFile(path, data, 0o600, false)
}

// replaceFile writes data to a temporary file beside path (fsynced when
// durable), renames it over path and, when durable, fsyncs the directory.
func (s *Spool) replaceFile(path string, data []byte, perm os.FileMode, durable bool) error {
	return s.replaceWith(path, perm, durable, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// replaceWith is replaceFile for content that fill writes piece by piece
// (a large message streamed to large/). When fill or any step fails, the
// temporary file is removed and path is as it was.
func (s *Spool) replaceWith(path string, perm os.FileMode, durable bool, fill func(io.Writer) error) (err error) {
	// A dot name: listings of the directory skip it if a crash leaves it.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp"+newID())
	f, err := s.fs.Create(tmp, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = s.fs.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		f.Close()
		return err
	}
	if durable {
		if err = f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = s.fs.Rename(tmp, path); err != nil {
		return err
	}
	if !durable {
		return nil
	}
	return s.fs.SyncDir(filepath.Dir(path))
}

// fileExists reports whether anything (even a dangling link) is at p.
func fileExists(p string) bool { _, err := os.Lstat(p); return err == nil }
