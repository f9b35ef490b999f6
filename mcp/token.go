package mcp

import (
	"crypto/rand"
	"encoding/hex"
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

// TokenFile is where the bearer token of "ipc mcp --http" is kept, relative
// to the spool root.
const TokenFile = "state/http-token"

// HTTPToken returns the bearer token HTTP clients of the spool at root must
// present, and the file that holds it. The first call makes it: 32 random
// bytes in hex, in a file only the user can read (0600), written in full
// under another name and then linked into place, so a reader never sees
// half a token and two servers starting at once agree on one. A token file
// that is not a regular file of the user's, closed to group and others,
// with a token in it, is refused: never followed or trusted.
func HTTPToken(root string) (token, path string, err error) {
	path = filepath.Join(root, filepath.FromSlash(TokenFile))
	token, err = readToken(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return token, path, err
	}
	if err := createToken(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", path, fmt.Errorf("mcp: create the HTTP token %s: %w", path, err)
	}
	token, err = readToken(path)
	return token, path, err
}

// readToken reads the token in path, refusing a file anyone else could
// have written or read.
func readToken(path string) (string, error) {
	f, err := platform.OpenNoFollow(path, os.O_RDONLY, 0)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return "", fmt.Errorf("mcp: %s is a symbolic link, not a token: remove it, and a new token is made", path)
	case err != nil:
		return "", fmt.Errorf("mcp: read the HTTP token: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("mcp: read the HTTP token: %w", err)
	}
	_, other := platform.OwnedByOther(fi)
	if !fi.Mode().IsRegular() || (platform.OwnershipChecked && fi.Mode().Perm()&0o077 != 0) || other {
		return "", fmt.Errorf("mcp: %s must be a regular file of yours that nobody else may read or write, like 0600 (it is %v): remove it, and a new token is made", path, fi.Mode())
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return "", fmt.Errorf("mcp: read the HTTP token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if _, err := hex.DecodeString(token); err != nil || len(token) < 32 {
		return "", fmt.Errorf("mcp: %s does not hold a token: remove it, and a new token is made", path)
	}
	return token, nil
}

// createToken writes a new token to a file of its own, then links it to
// path: it fails with fs.ErrExist if path exists, and never replaces it.
func createToken(path string) error {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.%x.tmp", path, os.Getpid(), raw[:4])
	f, err := platform.OpenNoFollow(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	_, err = f.WriteString(hex.EncodeToString(raw[:]) + "\n")
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
	return syncDir(filepath.Dir(path))
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
