// Package secret keeps a generated secret (the HTTP bearer token, the IMAP
// password) in a file only its user may read. The first Get makes it:
// random bytes, encoded, written in full under another name, fsynced and
// linked into place (never replacing a file there), so a reader never sees
// half of one and two processes starting at once agree on one. A file that
// is a symbolic link, not a regular file of the user's, open to group or
// others, or not holding a secret of the expected form is refused, never
// followed or trusted, with what to do about it.
//
// It stands on internal/platform alone.
package secret

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/claude-ipc/ipc/internal/platform"
)

// Kind says what a secret is and how it is made and checked.
type Kind struct {
	Noun   string                   // "token", "password": for messages
	Bytes  int                      // random bytes in a new one
	Encode func(raw []byte) string  // how they are written
	Valid  func(secret string) bool // whether a file's content is one
}

// Get returns the secret kept in path, making one the first time.
func Get(path string, k Kind) (string, error) {
	s, err := read(path, k)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := create(path, k); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create the %s %s: %w", k.Noun, path, err)
	}
	return read(path, k)
}

// read reads the secret in path, refusing a file anyone else could have
// written or read.
func read(path string, k Kind) (string, error) {
	f, err := platform.OpenNoFollow(path, os.O_RDONLY, 0)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return "", fmt.Errorf("%s is a symbolic link, not a %s: remove it, and a new %s is made", path, k.Noun, k.Noun)
	case errors.Is(err, fs.ErrNotExist):
		return "", err
	case err != nil:
		return "", fmt.Errorf("read the %s: %w", k.Noun, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read the %s: %w", k.Noun, err)
	}
	_, other := platform.OwnedByOther(fi)
	if !fi.Mode().IsRegular() || (platform.OwnershipChecked && fi.Mode().Perm()&0o077 != 0) || other {
		return "", fmt.Errorf("%s must be a regular file of yours that nobody else may read or write, like 0600 (it is %v): remove it, and a new %s is made", path, fi.Mode(), k.Noun)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return "", fmt.Errorf("read the %s: %w", k.Noun, err)
	}
	s := strings.TrimSpace(string(b))
	if !k.Valid(s) {
		return "", fmt.Errorf("%s does not hold a %s: remove it, and a new %s is made", path, k.Noun, k.Noun)
	}
	return s, nil
}

// create writes a new secret to a file of its own, then links it to path:
// it fails with fs.ErrExist if path exists, and never replaces it.
func create(path string, k Kind) error {
	raw := make([]byte, k.Bytes)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.%x.tmp", path, os.Getpid(), raw[:4])
	f, err := platform.OpenNoFollow(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	_, err = f.WriteString(k.Encode(raw) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	return platform.SyncDir(filepath.Dir(path))
}
