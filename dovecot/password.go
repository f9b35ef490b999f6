package dovecot

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/claude-ipc/ipc/internal/secret"
)

// password returns the login's password kept in path, making one the
// first time: 18 random bytes, URL-safe base64, in a file only the user
// may read (0600), written in full under another name and linked into
// place, so a reader never sees half of one and two starts agree on one.
// A file there that is not a regular file of the user's, closed to group
// and others, holding a password, is refused: never followed or trusted.
func password(path string) (string, error) {
	pw, err := secret.Get(path, passwordKind)
	if err != nil {
		return "", fmt.Errorf("dovecot: %w", err)
	}
	return pw, nil
}

// passwordKind is the login's password: 18 random bytes, URL-safe base64
// (no ':' or space, which Dovecot's passwd-file would split on).
var passwordKind = secret.Kind{
	Noun:   "password",
	Bytes:  18,
	Encode: base64.RawURLEncoding.EncodeToString,
	Valid:  func(s string) bool { return len(s) >= 16 && !strings.ContainsAny(s, ": \t\r\n") },
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
