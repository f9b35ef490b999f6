package dovecot

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
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

// password returns the login's password kept in path, making one the
// first time: 18 random bytes, URL-safe base64, in a file only the user
// may read (0600), written in full under another name and linked into
// place, so a reader never sees half of one and two starts agree on one.
// A file there that is not a regular file of the user's, closed to group
// and others, holding a password, is refused: never followed or trusted.
func password(path string) (string, error) {
	pw, err := readPassword(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return pw, err
	}
	if err := createPassword(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("dovecot: create the password %s: %w", path, err)
	}
	return readPassword(path)
}

// readPassword reads the password in path, refusing a file anyone else
// could have written or read.
func readPassword(path string) (string, error) {
	f, err := platform.OpenNoFollow(path, os.O_RDONLY, 0)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return "", fmt.Errorf("dovecot: %s is a symbolic link, not a password: remove it, and a new password is made", path)
	case errors.Is(err, fs.ErrNotExist):
		return "", err
	case err != nil:
		return "", fmt.Errorf("dovecot: read the password: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("dovecot: read the password: %w", err)
	}
	if _, other := platform.OwnedByOther(fi); other || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("dovecot: %s must be a regular file of yours that nobody else may read or write, like 0600 (it is %v): remove it, and a new password is made", path, fi.Mode())
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return "", fmt.Errorf("dovecot: read the password: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if len(pw) < 16 || strings.ContainsAny(pw, ": \t\r\n") {
		return "", fmt.Errorf("dovecot: %s does not hold a password of 16 characters or more without ':' or spaces: remove it, and a new password is made", path)
	}
	return pw, nil
}

// createPassword writes a new password to a file of its own, then links it
// to path: it fails with fs.ErrExist if path exists, and never replaces it.
func createPassword(path string) error {
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.%x.tmp", path, os.Getpid(), raw[:4])
	f, err := platform.OpenNoFollow(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	_, err = f.WriteString(base64.RawURLEncoding.EncodeToString(raw[:]) + "\n")
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

// usersLine returns the passwd-file line of the login, for Dovecot's
// passdb and userdb at once: the password as a salted SHA-512 ({SSHA512}:
// base64 of SHA-512(password + salt) followed by the salt), then the uid,
// gid and home the mail is accessed with.
func usersLine(login, pw string, me account, home string) ([]byte, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	sum := sha512.Sum512(append([]byte(pw), salt...))
	hash := base64.StdEncoding.EncodeToString(append(sum[:], salt...))
	return fmt.Appendf(nil, "%s:{SSHA512}%s:%d:%d::%s::\n", login, hash, me.uid, me.gid, home), nil
}
