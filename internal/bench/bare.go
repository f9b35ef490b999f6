package bench

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
)

// The bare operations in process are bareop's; these put a fixture back
// as it was between turns.

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

// emptyDir removes every file in dir, leaving dir.
func emptyDir(dir string) error {
	names, err := bareop.Names(dir)
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
