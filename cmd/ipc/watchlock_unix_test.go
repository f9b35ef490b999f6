//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// TestWatchListsAgainAfterFailedRead holds bob's reading lock longer than a
// reader waits for it while a message lands: the watch cannot take it and
// says so, and no feed will report that file again. Once the lock is free
// the watch must still print it, without waiting for another arrival.
func TestWatchListsAgainAfterFailedRead(t *testing.T) {
	t.Parallel()
	w := newWorld(t).with("IPC_POLL_INTERVAL=1h")
	w.ok("register", "bob")
	tmp, newDir := w.mailDir("bob", "tmp"), w.mailDir("bob", "new")
	p, out := w.startPiped(true, "--as", "bob", "watch", "--json")
	eventually(t, "ipc watch to watch bob's new/", func() bool { return inotifyWatching(p.pid(), newDir) })
	printed := make(chan spool.Message, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m spool.Message
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("watch printed a line that is not JSON: %q", sc.Text())
				continue
			}
			printed <- m
		}
	}()

	lock, err := os.OpenFile(filepath.Join(filepath.Dir(newDir), "readers.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	const name = "1700000000.M1P1Q1.held"
	putFile(t, tmp, name, scriptMail("held1", "bob", "landed while the lock was held"))
	if err := os.Rename(filepath.Join(tmp, name), filepath.Join(newDir, name)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the watch to say it could not read", func() bool {
		return strings.Contains(p.err.String(), "ipc: warning")
	})
	select {
	case m := <-printed:
		t.Fatalf("watch printed %q while the reading lock was held", m.ID)
	default:
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-printed:
		if !strings.Contains(m.Body, "landed while the lock was held") {
			t.Errorf("watch printed %q, want the message that landed", m.Body)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the message that could not be read is never printed; stderr: %s", p.err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(30 * time.Second)
}
