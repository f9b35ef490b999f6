package secret

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var hexKind = Kind{Noun: "token", Bytes: 16, Encode: hex.EncodeToString,
	Valid: func(s string) bool { _, err := hex.DecodeString(s); return err == nil && len(s) == 32 }}

func TestGetMakesOnceAndAgrees(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Go(func() {
			s, err := Get(path, hexKind)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] || len(s) != 32 {
			t.Fatalf("starts disagree or made a bad secret: %q", got)
		}
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("secret file: %v %v", fi, err)
	}
	if left, _ := filepath.Glob(path + ".*.tmp"); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestGetRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"symbolic link", func(t *testing.T, path string) {
			target := path + ".real"
			must(t, os.WriteFile(target, []byte(strings.Repeat("a", 32)), 0o600))
			must(t, os.Symlink(target, path))
		}, "is a symbolic link, not a token"},
		{"open to others", func(t *testing.T, path string) {
			must(t, os.WriteFile(path, []byte(strings.Repeat("a", 32)), 0o600))
			must(t, os.Chmod(path, 0o644))
		}, "nobody else may read or write"},
		{"not a secret", func(t *testing.T, path string) {
			must(t, os.WriteFile(path, []byte("hello"), 0o600))
		}, "does not hold a token"},
		{"a directory", func(t *testing.T, path string) {
			must(t, os.Mkdir(path, 0o700))
		}, "must be a regular file"},
	} {
		if runtime.GOOS == "windows" && tc.name != "not a secret" {
			continue // modes and symbolic links are Unix's: platform's own tests cover Windows' owner check
		}
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token")
			tc.setup(t, path)
			if s, err := Get(path, hexKind); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Get = %q, %v; want an error saying %q", s, err, tc.want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
