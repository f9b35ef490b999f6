package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/internal/platform"
)

// waker is a running 'ipc hook Stop --wake'.
type waker struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
	code   int
}

// startWaker starts the waking hook as Claude Code would, its input on
// stdin, and waits until it has recorded itself as the session's waiter.
func (w *world) startWaker(name, session string, extra ...string) *waker {
	w.t.Helper()
	args := append([]string{"--as", name, "hook", "Stop", "--wake"}, extra...)
	k := &waker{cmd: exec.Command(ipcBin, args...), done: make(chan struct{})}
	k.cmd.Env = w.env
	k.cmd.Stdin = strings.NewReader(hookInput("Stop", session, false))
	k.cmd.Stderr = &k.stderr
	if err := k.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		err := k.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			k.code = ee.ExitCode()
		}
		close(k.done)
	}()
	w.t.Cleanup(func() { _ = k.cmd.Process.Kill(); <-k.done })
	eventually(w.t, "the waker to record itself", func() bool { return w.wakerPID(name, session) == k.cmd.Process.Pid })
	return k
}

// wakerPID reads the session's waiter record the way the spool writes it.
func (w *world) wakerPID(name, session string) int {
	return awareness.New(w.openSpool()).Waker(name, session)
}

// exited waits up to limit for the waker to end and returns its exit code.
func (k *waker) exited(t *testing.T, limit time.Duration) (int, bool) {
	t.Helper()
	select {
	case <-k.done:
		return k.code, true
	case <-time.After(limit):
		return 0, false
	}
}

func TestHookWake(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")

	// Mail wakes the waiting hook: exit 2, a summary on stderr.
	k := w.startWaker("bob", "w1")
	if _, ended := k.exited(t, 300*time.Millisecond); ended {
		t.Fatalf("the waker ended with no mail: exit %d, %q", k.code, k.stderr.String())
	}
	ids := w.sendIDs("build is green")
	code, ended := k.exited(t, 10*time.Second)
	if !ended || code != 2 {
		t.Fatalf("after mail: ended %v, exit %d, stderr %q", ended, code, k.stderr.String())
	}
	want := `📬 1 new message for bob: from alice [UNVERIFIED: cli] "build is green" (id ` + ids[0] + "). Use the check tool (or `ipc check`) to read it.\n"
	if got := k.stderr.String(); got != want {
		t.Errorf("summary:\n got %q\nwant %q", got, want)
	}
	if n := len(filesIn(t, w.mailDir("bob", "new"))); n != 1 {
		t.Errorf("waking claimed mail: %d left in new/", n)
	}

	// The next waiter of the session does not wake for the same message,
	// nor does a hook tell of it again; it gives up after --for.
	k = w.startWaker("bob", "w1", "--for", "1s")
	if code, ended := k.exited(t, 10*time.Second); !ended || code != 0 {
		t.Errorf("second waiter, no new mail: ended %v, exit %d, %q", ended, code, k.stderr.String())
	}
	if out := w.hook("UserPromptSubmit", hookInput("UserPromptSubmit", "w1", false)); out != "" {
		t.Errorf("a hook told the woken session again: %q", out)
	}

	// One waiter per session: a new one replaces the old, which exits 0.
	old := w.startWaker("bob", "w1")
	k = w.startWaker("bob", "w1")
	if code, ended := old.exited(t, 5*time.Second); !ended || code != 0 {
		t.Errorf("replaced waiter: ended %v, exit %d, %q", ended, code, old.stderr.String())
	}
	w.sendIDs("second")
	if code, ended := k.exited(t, 10*time.Second); !ended || code != 2 || !strings.Contains(k.stderr.String(), `"second"`) {
		t.Errorf("new waiter after mail: ended %v, exit %d, %q", ended, code, k.stderr.String())
	}
	// Another session is told on its own account.
	k = w.startWaker("bob", "w2")
	if code, ended := k.exited(t, 10*time.Second); !ended || code != 2 || !strings.Contains(k.stderr.String(), "2 new messages") {
		t.Errorf("waiter of another session: ended %v, exit %d, %q", ended, code, k.stderr.String())
	}
}

// TestHookWakeEndsWithItsSession checks that a waiting hook never keeps
// anything alive: when the process that started it (Claude Code) dies, it
// exits 0 by itself.
func TestHookWakeEndsWithItsSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	pidFile := filepath.Join(t.TempDir(), "pid")
	sh := exec.Command("sh", "-c", `printf '{"session_id":"e1"}' | "$0" --as bob hook Stop --wake & echo $! > "$1"; wait`, ipcBin, pidFile)
	sh.Env = w.env
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	eventually(t, "the waker to start", func() bool {
		b, _ := os.ReadFile(pidFile)
		pid = atoiOr(strings.TrimSpace(string(b)))
		return pid > 0 && w.wakerPID("bob", "e1") == pid
	})
	_ = sh.Process.Kill()
	_ = sh.Wait()
	eventually(t, "the orphaned waker to exit", func() bool { return !platform.Alive(pid) })
}

func atoiOr(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
