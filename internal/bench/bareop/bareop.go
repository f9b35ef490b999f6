// Package bareop holds the bare Maildir operations ipc's benchmarks
// measure ipc against: the least file work a durable delivery, a claim
// and a listing need, with the standard library alone. The ipc-bare
// command runs them as processes, package bench in process.
//
// They are yardsticks, not mail code: they take no locks and check
// nothing.
package bareop

import (
	"os"
	"path/filepath"
	"slices"
)

// Deliver is a durable Maildir delivery into dir: write tmp/NAME, fsync
// it, rename it into new/, fsync new/.
func Deliver(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, "tmp", name)
	if err := WriteSynced(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		return err
	}
	return SyncDir(filepath.Join(dir, "new"))
}

// WriteSynced creates path, which must not exist yet, holding data, and
// fsyncs it before closing it: the first half of a durable delivery.
func WriteSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Claim is a durable Maildir read of the oldest message of dir: list
// new/, read the first name, rename it into cur/ with the S flag, fsync
// cur/ and new/. It returns the claimed file's new path and its content
// ("" and nil when new/ is empty).
func Claim(dir string) (path string, data []byte, err error) {
	names, err := Names(filepath.Join(dir, "new"))
	if err != nil || len(names) == 0 {
		return "", nil, err
	}
	name := slices.Min(names)
	src := filepath.Join(dir, "new", name)
	if data, err = os.ReadFile(src); err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "cur", name+":2,S")
	if err := os.Rename(src, path); err != nil {
		return "", nil, err
	}
	if err := SyncDir(filepath.Join(dir, "cur")); err != nil {
		return "", nil, err
	}
	return path, data, SyncDir(filepath.Join(dir, "new"))
}

// Names lists dir, names only.
func Names(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// SyncDir fsyncs a directory.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
