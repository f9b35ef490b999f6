//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// nobody is the uid and gid the tests that need permissions to bite run as
// when they run as root (root reads any file, so EACCES never happens).
const nobody = 65534

// asUser returns a world whose spool and processes belong to an ordinary
// user: this user, or nobody when the tests run as root.
func asUser(t *testing.T) (*world, func(args ...string) result) {
	t.Helper()
	base, err := os.MkdirTemp("", "ipc-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	w := newWorld(t)
	w.home = filepath.Join(base, "spool")
	w = w.with("IPC_HOME="+w.home, "HOME="+base)
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(base, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Dir(ipcBin), 0o755); err != nil {
			t.Fatal(err)
		}
		if os.Getenv("GOCOVERDIR") != "" { // under -cover: somewhere nobody may write its counters
			cov := filepath.Join(base, "cover")
			if err := os.Mkdir(cov, 0o777); err != nil || os.Chmod(cov, 0o777) != nil {
				t.Fatal(err)
			}
			w = w.with("GOCOVERDIR=" + cov)
		}
		w.sys = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	run := func(args ...string) result {
		t.Helper()
		cmd := exec.Command(ipcBin, args...)
		cmd.Env, cmd.SysProcAttr = w.env, w.sys
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := result{out: out.String(), err: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run ipc %q: %v", args, err)
		}
		return r
	}
	return w, run
}

// A mailbox its reader cannot open is an error in check and in list, never
// "No new messages" or "never registered".
func TestPermissionDeniedIsAnError(t *testing.T) {
	w, run := asUser(t)
	for _, args := range [][]string{{"register", "bob"}, {"--as", "alice", "send", "bob", "hi"}} {
		if r := run(args...); r.code != 0 {
			t.Fatalf("ipc %q: %s", args, r)
		}
	}
	box := filepath.Join(w.home, "mail", "bob")
	if err := os.Chmod(box, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(box, 0o700) })

	r := run("--as", "bob", "check")
	if r.code == 0 || strings.Contains(r.err, "No new messages") || strings.Contains(r.err, "no mailbox") ||
		!strings.Contains(r.err, "permission denied") {
		t.Errorf("check of an unreadable mailbox: %s", r)
	}
	r = run("list")
	if r.code == 0 || strings.Contains(r.out, "never registered") || !strings.Contains(r.out, "unreadable") ||
		!strings.Contains(r.err, "permission denied") {
		t.Errorf("list with an unreadable mailbox: %s", r)
	}
	r = run("--json", "list")
	if r.code == 0 || !strings.Contains(r.out, `"error"`) {
		t.Errorf("list --json with an unreadable mailbox: %s", r)
	}
}
