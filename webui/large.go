package webui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxLarge is the most of a large file the page serves.
const maxLarge = 64 << 20

// errNotLarge refuses a large-file path that is not a plain file directly
// inside large/.
var errNotLarge = errors.New("not a file of large/")

// readLarge reads the large file a message names, refusing any path that
// is not a file directly inside dir (no "..", no other directory, no
// symlink, nothing but a regular file). os.Root keeps the open inside dir
// even if the file is swapped meanwhile.
func readLarge(dir, path string) ([]byte, error) {
	if path == "" || !filepath.IsAbs(path) || filepath.Clean(filepath.Dir(path)) != filepath.Clean(dir) {
		return nil, fmt.Errorf("large file %q: %w", path, errNotLarge)
	}
	base := filepath.Base(path)
	if base == "." || base == ".." || strings.HasPrefix(base, ".") || strings.ContainsAny(base, `/\`) {
		return nil, fmt.Errorf("large file %q: %w", path, errNotLarge)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	fi, err := root.Lstat(base)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("large file %q: %w", path, errNotLarge)
	}
	f, err := root.Open(base)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxLarge))
}
