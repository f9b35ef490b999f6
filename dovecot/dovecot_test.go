package dovecot

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// executable makes an empty executable file named name in dir: only
// something for Find to find.
func executable(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFind(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Dovecot does not run on Windows; LookPath wants .exe there")
	}
	onPath, inDir, empty := t.TempDir(), t.TempDir(), t.TempDir()
	fromPath := executable(t, onPath, "dovecot")
	fromDir := executable(t, inDir, "dovecot")
	for _, tc := range []struct {
		name, path, prog string
		dirs             []string
		want             string
	}{
		{"on PATH first", onPath, "dovecot", []string{inDir}, fromPath},
		{"in an sbin directory", empty, "dovecot", []string{inDir}, fromDir},
		{"named by its path", empty, fromDir, nil, fromDir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			if got, err := Find(tc.prog, tc.dirs); err != nil || got != tc.want {
				t.Errorf("Find = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, prog string
		dirs       []string
		where      string
	}{
		{"nowhere", "dovecot", []string{empty}, "no dovecot on PATH or in " + empty},
		{"not at the path given", filepath.Join(empty, "dovecot"), nil, "no program " + filepath.Join(empty, "dovecot")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", empty)
			_, err := Find(tc.prog, tc.dirs)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if !errors.Is(err, ErrNotInstalled) || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.where) ||
				!strings.Contains(msg, "apt install dovecot-imapd") || !strings.Contains(msg, "brew install dovecot") {
				t.Errorf("Find: %v; want one line with %q and both packages", err, tc.where)
			}
		})
	}
}

func TestMajorMinor(t *testing.T) {
	for _, tc := range []struct {
		v            string
		major, minor int
		ok           bool
	}{
		{"2.3.19.1", 2, 3, true},
		{"2.4.1", 2, 4, true},
		{"2.3", 2, 3, true},
		{"2", 0, 0, false},
		{"v2.3.1", 0, 0, false},
		{"", 0, 0, false},
	} {
		major, minor, ok := majorMinor(tc.v)
		if ok != tc.ok || (ok && (major != tc.major || minor != tc.minor)) {
			t.Errorf("majorMinor(%q) = %d, %d, %v; want %d, %d, %v", tc.v, major, minor, ok, tc.major, tc.minor, tc.ok)
		}
	}
}

// TestVersionOfDebianDovecot asks the installed Dovecot its version.
func TestVersionOfDebianDovecot(t *testing.T) {
	prog, err := Find("dovecot", SearchDirs)
	if err != nil {
		testkit.SkipEnv(t, "Dovecot is not installed (make test installs dovecot-imapd): %v", err)
	}
	v, err := Version(context.Background(), prog)
	if err != nil || !strings.HasPrefix(v, "2.3.") {
		t.Errorf("Version(%s) = %q, %v; want 2.3.x", prog, v, err)
	}
}

func TestCheckPaths(t *testing.T) {
	long := "/" + strings.Repeat("d", maxSocket-len(longestSocket)) // one byte too many
	for _, tc := range []struct {
		name, dir string
		bad       string // in the error; "" for none
	}{
		{"plain", "/home/ann/.claude-ipc-data", ""},
		{"a space", "/Users/Ann Lee/.claude-ipc-data", ""},
		{"UTF-8", "/home/zoë/ipc", ""},
		{"a colon", "/home/a:b/ipc", `":"`},
		{"a percent", "/home/100%/ipc", `"%"`},
		{"a quote", `/home/"x"/ipc`, `"\""`},
		{"a backslash", `/home/a\b/ipc`, `"\\"`},
		{"a newline", "/home/a\nb/ipc", `"\n"`},
		{"too deep for a socket", long[:len(long)-len("/state/imap/run")], "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkPaths(filepath.Join(tc.dir, "mail"), filepath.Join(tc.dir, "state", "imap", "run"))
			switch {
			case tc.bad == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
				t.Errorf("checkPaths = %v, want an error naming %s", err, tc.bad)
			}
		})
	}
}

func TestSubscriptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subscriptions")
	if got := string(subscriptions(path, []string{"alice", "bob"})); got != "V\t2\n\nalice\nbob\n" {
		t.Errorf("fresh subscriptions = %q", got)
	}
	// What the person subscribed stays; new mailboxes are added once.
	if err := os.WriteFile(path, []byte("V\t2\n\nbob\nINBOX\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := string(subscriptions(path, []string{"alice", "bob"})); got != "V\t2\n\nbob\nINBOX\nalice\n" {
		t.Errorf("merged subscriptions = %q", got)
	}
}

// TestUsersLine checks the {SSHA512} entry as Dovecot reads it: base64
// of SHA-512(password + salt) followed by the salt.
func TestUsersLine(t *testing.T) {
	line, err := usersLine("overseer", "s3cret-password-x", account{uid: 1000, gid: 1001}, "/h/state/imap/home")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(strings.TrimSuffix(string(line), "\n"), ":")
	if len(f) != 8 || f[0] != "overseer" || f[2] != "1000" || f[3] != "1001" || f[5] != "/h/state/imap/home" {
		t.Fatalf("users line %q", line)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[1], "{SSHA512}"))
	if err != nil || len(raw) != sha512.Size+16 || !strings.HasPrefix(f[1], "{SSHA512}") {
		t.Fatalf("password field %q: %v", f[1], err)
	}
	sum := sha512.Sum512(append([]byte("s3cret-password-x"), raw[sha512.Size:]...))
	if !bytes.Equal(sum[:], raw[:sha512.Size]) {
		t.Error("the hash does not verify the password")
	}
}

func TestPassword(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "password")
	pw, err := password(path)
	if err != nil || len(pw) < 16 {
		t.Fatalf("password = %q, %v", pw, err)
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("password file: %v %v, want 0600", fi.Mode(), err)
	}
	if again, err := password(path); err != nil || again != pw {
		t.Errorf("second start: %q, %v; want the same %q", again, err, pw)
	}
	if runtime.GOOS == "windows" {
		return // no mode bits, no symbolic links without privileges
	}
	for _, tc := range []struct {
		name  string
		setup func(p string) error
	}{
		{"readable by others", func(p string) error { return os.WriteFile(p, []byte("abcdefghijklmnopqrstuvwx\n"), 0o644) }},
		{"too short", func(p string) error { return os.WriteFile(p, []byte("short\n"), 0o600) }},
		{"a symbolic link", func(p string) error { return os.Symlink(path, p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "password")
			if err := tc.setup(p); err != nil {
				t.Fatal(err)
			}
			if got, err := password(p); err == nil || !strings.Contains(err.Error(), "remove it") {
				t.Errorf("password = %q, %v; want a refusal saying to remove it", got, err)
			}
		})
	}
}

// TestWrite writes the configuration for a spool as the user running the
// tests; as root it must refuse, before writing anything.
func TestWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Dovecot does not run on Windows")
	}
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.EnsureMailbox("bob"); err != nil {
		t.Fatal(err)
	}
	s, err := Write(sp, Options{Port: 12345})
	if os.Geteuid() == 0 {
		if !errors.Is(err, ErrRoot) || fileExists(filepath.Join(sp.Root, "state", "imap")) {
			t.Errorf("Write as root = %v, want ErrRoot and nothing written", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"port = 12345", "address = 127.0.0.1", `mail_location = "maildir:` + sp.MailDir() + ":LAYOUT=fs:",
		"INBOX=" + s.path("inbox"), "INDEX=" + s.path("index"), "CONTROL=" + s.path("control"), "chroot =\n"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("dovecot.conf lacks %q:\n%s", want, conf)
		}
	}
	for _, f := range []string{"dovecot.conf", "users", "password", "acl", "control/subscriptions"} {
		if fi, err := os.Stat(s.path(f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", f, fi.Mode(), err)
		}
	}
	if len(s.Folders) != 1 || s.Folders[0] != "bob" || s.Port != 12345 || s.User != DefaultUser {
		t.Errorf("setup = %+v", s)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
