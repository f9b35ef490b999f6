package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/claude-ipc/ipc/internal/platform"
)

// limitedFS is a file system without hard links or without a rename that
// refuses to replace, as FAT and some FUSE file systems are; it counts
// the probes made on it.
type limitedFS struct {
	FS
	noLinks, noReplace bool
	probes             *atomic.Int32
}

func (l limitedFS) Create(name string, perm os.FileMode) (File, error) {
	if strings.HasPrefix(filepath.Base(name), ".fsprobe-") {
		l.probes.Add(1)
	}
	return l.FS.Create(name, perm)
}

func (l limitedFS) Link(oldpath, newpath string) error {
	if l.noLinks {
		return &os.LinkError{Op: "link", Old: oldpath, New: newpath, Err: syscall.EPERM}
	}
	return l.FS.Link(oldpath, newpath)
}

func (l limitedFS) RenameNoReplace(oldpath, newpath string) error {
	if l.noReplace {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EINVAL}
	}
	return l.FS.RenameNoReplace(oldpath, newpath)
}

// TestFileSystemChecked opens spools on file systems that lack what ipc
// needs, by their kind or as a probe finds them, and expects the refusal
// or the one line that says what ipc does instead.
func TestFileSystemChecked(t *testing.T) {
	kind := func(fi platform.FSInfo) func(string) (platform.FSInfo, error) {
		return func(string) (platform.FSInfo, error) { return fi, nil }
	}
	canSync := func(ok bool) func(string) (bool, error) { return func(string) (bool, error) { return ok, nil } }
	tests := []struct {
		name               string
		info               platform.FSInfo
		dirSync            bool
		noLinks, noReplace bool
		refused            string // in the error; "" when Open succeeds
		warning            string // in Warning(); "" for none
		poll, probed       bool
	}{
		{name: "known local", info: platform.FSInfo{Name: "ext4", Known: true}, noLinks: true},
		{name: "unknown, all there", info: platform.FSInfo{Name: "fuse"}, dirSync: true, probed: true},
		{name: "no directory fsync", info: platform.FSInfo{Name: "fuse"}, warning: "weaker durability", probed: true},
		{name: "nfs", info: platform.FSInfo{Name: "nfs", Remote: true}, dirSync: true, warning: "noticed by polling", poll: true, probed: true},
		{name: "no hard links", info: platform.FSInfo{Name: "vfat"}, dirSync: true, noLinks: true, refused: "which has no hard links:"},
		{name: "neither", info: platform.FSInfo{Name: "vfat"}, dirSync: true, noLinks: true, noReplace: true,
			refused: "no hard links nor a rename that refuses to replace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "spool")
			var probes atomic.Int32
			open := func() (*Spool, error) {
				return Open(root, WithFS(limitedFS{FS: OS, noLinks: tc.noLinks, noReplace: tc.noReplace, probes: &probes}),
					withFSProbe(fsProbe{info: kind(tc.info), dirSync: canSync(tc.dirSync)}))
			}
			sp, err := open()
			if tc.refused != "" {
				if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("Open = %v, want ErrUnsafe saying %q", err, tc.refused)
				}
				if _, err := open(); !errors.Is(err, ErrUnsafe) {
					t.Errorf("second Open (from the cache) = %v, want ErrUnsafe", err)
				}
				if n := probes.Load(); n != 1 {
					t.Errorf("%d probes for two opens, want 1 (the second from state/%s)", n, fsCacheFile)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			f := sp.FileSystem()
			if w := f.Warning(); (tc.warning == "") != (w == "") || !strings.Contains(w, tc.warning) {
				t.Errorf("Warning() = %q, want %q", w, tc.warning)
			}
			if f.Poll() != tc.poll || f.Name != tc.info.Name || f.Probed.IsZero() == tc.probed {
				t.Errorf("FileSystem() = %+v; want poll %v, probed %v", f, tc.poll, tc.probed)
			}
			if _, err := open(); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int32{true: 1}[tc.probed]; probes.Load() != want {
				t.Errorf("%d probes for two opens, want %d", probes.Load(), want)
			}
			if left, _ := filepath.Glob(filepath.Join(root, dirOutbox, "tmp", ".fsprobe-*")); len(left) != 0 {
				t.Errorf("the probe left %v", left)
			}
		})
	}
}

// TestFileSystemHere opens a spool on the test machine's own file system:
// whatever it is, delivery's operations are there.
func TestFileSystemHere(t *testing.T) {
	sp, err := Open(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	f := sp.FileSystem()
	t.Logf("file system of the test directory: %+v", f)
	if !f.Links || !f.NoReplace {
		t.Errorf("FileSystem() = %+v: a local disk without links or no-replace renames", f)
	}
}
