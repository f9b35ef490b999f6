package platform

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// TestDirRefuses holds that a Dir is opened only on a real directory: a
// link to one is refused with ELOOP, a file with ENOTDIR, a missing one
// with fs.ErrNotExist; the same for a name in a held Dir, and for a file
// opened in it.
func TestDirRefuses(t *testing.T) {
	root := tempDir(t)
	os.Mkdir(filepath.Join(root, "real"), 0o700)
	os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(root, "real", "msg"), []byte("x"), 0o600)
	linked := symlink(filepath.Join(root, "real"), filepath.Join(root, "link")) &&
		symlink(filepath.Join(root, "real", "msg"), filepath.Join(root, "real", "msglink"))
	top, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	for _, tc := range []struct {
		name string
		want error
	}{
		{"real", nil},
		{"link", syscall.ELOOP},
		{"file", syscall.ENOTDIR},
		{"missing", fs.ErrNotExist},
		{"..", syscall.EINVAL},
		{"real/msg", syscall.EINVAL},
	} {
		if tc.name == "link" && !linked {
			continue // no symbolic links here (Windows without the privilege, Wine)
		}
		t.Run(tc.name, func(t *testing.T) {
			d, err := top.OpenDir(tc.name)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("OpenDir(%s): %v", tc.name, err)
				}
				d.Close()
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("OpenDir(%s): %v, want %v", tc.name, err, tc.want)
			}
			if tc.name != ".." && tc.name != "real/msg" {
				if _, err := OpenDir(filepath.Join(root, tc.name)); !errors.Is(err, tc.want) {
					t.Fatalf("OpenDir(path of %s): %v, want %v", tc.name, err, tc.want)
				}
			}
		})
	}
	real, err := top.OpenDir("real")
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	if linked {
		if _, err := real.Open("msglink", os.O_RDONLY, 0); !errors.Is(err, syscall.ELOOP) {
			t.Fatalf("Open of a link: %v, want ELOOP", err)
		}
	}
}

// TestDirOperations holds each operation of a Dir on the names in it: a
// no-replace rename refuses an existing name, a link is a second name,
// a listing in small batches sees every name once, Remove takes files
// and empty directories, Stat and Lstat tell what is there.
func TestDirOperations(t *testing.T) {
	root := tempDir(t)
	for _, d := range []string{"a", "b"} {
		os.Mkdir(filepath.Join(root, d), 0o700)
	}
	a, err := OpenDir(filepath.Join(root, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenDir(filepath.Join(root, "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, n := range []string{"m1", "m2", "m3", "taken"} {
		f, err := a.Open(n, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(n)
		f.Close()
	}
	if _, err := a.Open("m1", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("exclusive create of an existing name: %v", err)
	}
	os.WriteFile(filepath.Join(root, "b", "taken"), []byte("theirs"), 0o600)
	if err := a.RenameNoReplace("taken", b, "taken"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("RenameNoReplace onto an existing name: %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "b", "taken")); string(got) != "theirs" {
		t.Fatalf("replaced: %q", got)
	}
	if err := a.RenameNoReplace("m1", b, "m1:2,S"); err != nil {
		t.Fatal(err)
	}
	if err := a.Link("m2", b, "m2"); err != nil {
		t.Fatal(err)
	}
	if err := a.Rename("m3", b, "taken"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "b", "taken")); string(got) != "m3" {
		t.Fatalf("Rename did not replace: %q", got)
	}
	var names []string
	if err := b.Names(1, func(n string) bool { names = append(names, n); return true }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if want := []string{"m1:2,S", "m2", "taken"}; !slices.Equal(names, want) {
		t.Fatalf("Names: %q, want %q", names, want)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Lstat("m2"); err != nil || st.Type != 0 {
		t.Fatalf("Lstat of a file: %+v, %v", st, err)
	}
	if st, err := a.Stat(); err != nil || st.Type != fs.ModeDir {
		t.Fatalf("Stat of the directory: %+v, %v", st, err)
	}
	if err := a.Mkdir("sub", 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"m2", "sub"} {
		if err := a.Remove(n); err != nil {
			t.Fatalf("Remove(%s): %v", n, err)
		}
	}
	if err := a.Remove("m2"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Remove of a missing name: %v", err)
	}
}

// tempDir is a scratch directory removed at the end as far as it can be:
// Go's RemoveAll fails under Wine 8, where the Windows build is tested.
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ipc-platform-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// symlink makes a symbolic link and reports whether one is there now
// (Windows needs a privilege; Wine makes something Lstat cannot see).
func symlink(target, link string) bool {
	if os.Symlink(target, link) != nil {
		return false
	}
	fi, err := os.Lstat(link)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}
