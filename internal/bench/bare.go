package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The bare operations, in process: what ipc's own operations are
// measured against. Each is the least file work the operation needs.

// bareDeliver is a durable Maildir delivery into dir: write tmp/NAME,
// fsync it, rename it into new/, fsync new/.
func bareDeliver(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
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
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		return err
	}
	return syncDir(filepath.Join(dir, "new"))
}

// bareClaim is a durable Maildir read of the oldest message of dir: list
// new/, read the first name, rename it into cur/ with the S flag, fsync
// cur/ and new/. It returns the claimed file's new path ("" when new/ is
// empty).
func bareClaim(dir string) (string, error) {
	names, err := readNames(filepath.Join(dir, "new"))
	if err != nil || len(names) == 0 {
		return "", err
	}
	name := slices.Min(names)
	src := filepath.Join(dir, "new", name)
	if _, err := os.ReadFile(src); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, "cur", name+":2,S")
	if err := os.Rename(src, dst); err != nil {
		return "", err
	}
	if err := syncDir(filepath.Join(dir, "cur")); err != nil {
		return "", err
	}
	return dst, syncDir(filepath.Join(dir, "new"))
}

// unclaim puts claimed files (paths in DIR/cur/ with their flags) back
// into DIR/new/, so that a fixture keeps its size between turns.
func unclaim(paths []string) error {
	for _, p := range paths {
		dir := filepath.Dir(filepath.Dir(p))
		key, _, _ := strings.Cut(filepath.Base(p), ":2,")
		if err := os.Rename(p, filepath.Join(dir, "new", key)); err != nil {
			return err
		}
	}
	return nil
}

// readNames lists dir, names only.
func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

func syncDir(dir string) error {
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

// emptyDir removes every file in dir, leaving dir.
func emptyDir(dir string) error {
	names, err := readNames(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}
