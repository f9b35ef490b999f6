package dovecot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNotInstalled is returned when no dovecot program can be found.
var ErrNotInstalled = errors.New("dovecot: not installed")

// ErrVersion is returned for a Dovecot whose configuration syntax is not
// the one written here.
var ErrVersion = errors.New("dovecot: unsupported version")

// SearchDirs are where Find looks when dovecot is not on PATH: Dovecot's
// packages put it in an sbin directory, which a normal user's PATH often
// lacks (Debian's dovecot-imapd in /usr/sbin, Homebrew's in its sbin).
var SearchDirs = []string{"/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"}

// Find returns the dovecot program: name itself when it holds a slash,
// else name on PATH, else name in one of dirs.
func Find(name string, dirs []string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if !strings.ContainsRune(name, filepath.Separator) {
		for _, d := range dirs {
			if p, err := exec.LookPath(filepath.Join(d, name)); err == nil {
				return p, nil
			}
		}
	}
	where := "no program " + name
	if !strings.ContainsRune(name, filepath.Separator) {
		where = "no " + name + " on PATH"
		if len(dirs) > 0 {
			where += " or in " + strings.Join(dirs, ", ")
		}
	}
	return "", fmt.Errorf("%w: %s: install Debian's dovecot-imapd (apt install dovecot-imapd) or Homebrew's dovecot (brew install dovecot)",
		ErrNotInstalled, where)
}

// Version runs program --version and returns the version it prints
// ("2.3.19.1"), refusing any but 2.3 with ErrVersion.
func Version(ctx context.Context, program string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, program, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("dovecot: %s --version: %w", program, err)
	}
	v, _, _ := strings.Cut(string(bytes.TrimSpace(out)), " ")
	major, minor, ok := majorMinor(v)
	if !ok {
		return "", fmt.Errorf("%w: %s --version printed %q, not a version", ErrVersion, program, out)
	}
	if major != 2 || minor != 3 {
		return v, fmt.Errorf("%w: %s is Dovecot %s; ipc imap writes a configuration for Dovecot 2.3 (2.4 changed its syntax): install 2.3, or pass its dovecot with --dovecot",
			ErrVersion, program, v)
	}
	return v, nil
}

// majorMinor reads the first two numbers of a version like "2.3.19.1".
func majorMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}
