package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Cleaning tmp/, one of the leader's jobs: what a writer that died before
// its rename left behind, never anything that was delivered.

// tmpMaxAge is how long a file may sit in a tmp/ before it is taken for the
// leftover of a crashed writer and removed, as Maildir readers do.
const tmpMaxAge = 36 * time.Hour

// CleanTmp removes files older than 36 hours from every tmp/ (each
// mailbox's and the outbox's) and the scratch files of large/ (dot files:
// a large body being written): writers that died before delivering left
// them, and nothing was ever delivered from them. It returns how many
// files it removed.
func (s *Spool) CleanTmp() (int, error) {
	names, err := s.Names()
	if err != nil {
		return 0, err
	}
	tmpCutoff := s.clock().Add(-tmpMaxAge)
	dirs := map[string]time.Time{
		s.path(dirOutbox, "tmp"): tmpCutoff,
	}
	for _, n := range names {
		dirs[s.path(dirMail, n, "tmp")] = tmpCutoff
	}
	removed := 0
	var errs []error
	for dir, cutoff := range dirs {
		n, err := s.removeOlder(dir, cutoff, nil)
		removed += n
		if err != nil {
			errs = append(errs, fmt.Errorf("clean %s: %w", dir, err))
		}
	}
	n, err := s.removeOlder(s.path(dirLarge), tmpCutoff, func(name string) bool { return !strings.HasPrefix(name, ".") })
	removed += n
	if err != nil {
		errs = append(errs, fmt.Errorf("clean large/: %w", err))
	}
	return removed, errors.Join(errs...)
}

// removeOlder removes the files in dir last modified before cutoff, but
// those keep (if not nil) says to keep.
func (s *Spool) removeOlder(dir string, cutoff time.Time, keep func(name string) bool) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || fi.IsDir() || !fi.ModTime().Before(cutoff) || (keep != nil && keep(e.Name())) {
			continue
		}
		switch err := s.fs.Remove(filepath.Join(dir, e.Name())); {
		case err == nil:
			removed++
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}
