package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// TestDiskFull puts the spool on a 256 KiB tmpfs, fills it, and checks
// that a send fails cleanly: a non-zero exit with one line, nothing in
// new/, nothing left in tmp/, and the mail delivered before intact.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		testkit.SkipEnv(t, "mounting a small tmpfs needs root")
	}
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		testkit.SkipEnv(t, "cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { // before TempDir's removal, which was registered first
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	w := newWorld(t)
	w.home = filepath.Join(mnt, "spool")
	w = w.with("IPC_HOME=" + w.home)

	w.ok("register", "bob")
	var before []string
	for i := 0; i < 5; i++ {
		body := fmt.Sprintf("delivered before the disk filled, number %d", i)
		w.ok("--as", "alice", "send", "bob", body)
		before = append(before, body)
	}
	newBefore := filesIn(t, w.mailDir("bob", "new"))

	fill(t, filepath.Join(mnt, "filler"))
	r := w.run("--as", "alice", "send", "bob", "this one does not fit")
	if r.code == 0 {
		t.Fatalf("send on a full disk succeeded: %s", r)
	}
	checkOneLine(t, r.err)
	t.Logf("on a full disk: %s", r.err)
	r = w.run("--as", "alice", "send", "carol", "nor this one, to a new mailbox")
	if r.code == 0 {
		t.Fatalf("send to a new mailbox on a full disk succeeded: %s", r)
	}
	checkOneLine(t, r.err)

	if got := w.allNew(); !slices.Equal(got, newBefore) {
		t.Errorf("new/ changed on a full disk:\n got %q\nwant %q", got, newBefore)
	}
	tmps, _ := filepath.Glob(filepath.Join(w.home, "mail", "*", "tmp", "*"))
	if len(tmps) != 0 {
		t.Errorf("leftovers in tmp/: %q", tmps)
	}
	msgs := w.messages("bob", "--peek")
	if len(msgs) != len(before) {
		t.Fatalf("bob has %d messages, want %d", len(msgs), len(before))
	}
	for i, m := range msgs {
		if m.Body != before[i] || m.From != "alice" {
			t.Errorf("message %d damaged: %+v", i, m)
		}
	}

	// With room again, sending works again.
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	w.ok("--as", "alice", "send", "bob", "room again")
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			return
		}
	}
}
