package share

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gone reports whether process pid has ended: no such process, or a zombie
// waiting for its new parent to reap it.
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

// readPID reads the pid a command wrote to path.
func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// awaitGone fails the test unless pid ends before a deadline that only
// guards against a hang.
func awaitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still runs after the command returned", what, pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunCommandKillsBackgroundChildren runs commands that leave a child
// behind, holding the output pipe or not: the child must not outlive the
// command, and the output written before it returned is kept.
func TestRunCommandKillsBackgroundChildren(t *testing.T) {
	for _, tt := range []struct{ name, script string }{
		{"holding the pipe", "sleep 30 & echo $! > %s; echo started"},
		{"detached from the pipe", "sleep 30 >/dev/null 2>&1 & echo $! > %s; echo started"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			res, err := RunCommand(context.Background(), "", []string{"sh", "-c", fmt.Sprintf(tt.script, pidFile)}, 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if res.TimedOut || res.ExitCode != 0 || res.Stdout.String() != "started\n" {
				t.Errorf("timed out %v, exit %d, stdout %q", res.TimedOut, res.ExitCode, res.Stdout.String())
			}
			awaitGone(t, readPID(t, pidFile), "the background child")
		})
	}
}

// TestRunCommandCancelled cancels the caller's context while the command
// runs: RunCommand reports ErrCancelled, not a result to share, and the
// command's process group is gone.
func TestRunCommandCancelled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// The pid file is renamed into place whole: once it exists it has
		// its content, so cancelling cannot cut the write short.
		for ctx.Err() == nil {
			if _, err := os.Stat(pidFile); err == nil {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	script := fmt.Sprintf("sleep 30 & echo $! > %[1]s.tmp && mv %[1]s.tmp %[1]s; wait", pidFile)
	res, err := RunCommand(ctx, "", []string{"sh", "-c", script}, 20*time.Second)
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("RunCommand after cancel = %+v, %v; want ErrCancelled", res, err)
	}
	awaitGone(t, readPID(t, pidFile), "the cancelled command's child")
}
