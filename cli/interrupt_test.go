package cli

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests run in-process on every system, and `make test-windows` runs
// them under Wine: Ctrl-C and a closed output end wait and watch with the
// exit codes the README gives (130, 141) on Windows as on Unix. Their
// spools are made with os.MkdirTemp: Go's RemoveAll fails under Wine 8.

// portableEnv makes a spool directory and the environment that points the
// command line at it.
func portableEnv(t *testing.T) map[string]string {
	t.Helper()
	base, err := os.MkdirTemp("", "ipc-cli-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) }) // may fail under Wine
	return map[string]string{"IPC_HOME": filepath.Join(base, "spool"), "HOME": base, "NO_COLOR": "1"}
}

// TestInterruptEndsWaitAndWatch interrupts a wait and a watch as Ctrl-C
// does (SIGINT on Unix, CTRL_C_EVENT on Windows) and expects exit 130.
// The test holds os.Interrupt itself, so an interrupt that comes before the
// command listens for it cannot end the test binary; it interrupts again
// until the command ends.
func TestInterruptEndsWaitAndWatch(t *testing.T) {
	held := make(chan os.Signal, 16)
	signal.Notify(held, os.Interrupt)
	defer signal.Stop(held)
	for _, tc := range []struct {
		args    []string
		wantErr string // stderr, but for the line watch prints once it watches
	}{
		{[]string{"--as", "bob", "wait"}, "ipc: interrupted: no mail\n"},
		{[]string{"--as", "bob", "watch"}, ""},
	} {
		t.Run(tc.args[2], func(t *testing.T) {
			env := portableEnv(t)
			if r := runIPC(t, env, "", "register", "bob"); r.code != 0 {
				t.Fatalf("register: %+v", r)
			}
			done := make(chan result, 1)
			go func() { done <- runIPC(t, env, "", tc.args...) }()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			timeout := time.After(30 * time.Second)
			for {
				select {
				case r := <-done:
					stderr := strings.Replace(r.err, "ipc: watching mail for bob (Ctrl-C to stop)\n", "", 1)
					if r.code != 130 || stderr != tc.wantErr {
						t.Errorf("%v interrupted: exit %d, stderr %q; want 130, %q", tc.args, r.code, r.err, tc.wantErr)
					}
					return
				case <-tick.C:
					if err := interrupt(); err != nil {
						t.Fatalf("interrupt: %v", err)
					}
				case <-timeout:
					t.Fatalf("%v not ended by interrupts", tc.args)
				}
			}
		})
	}
}

// TestClosedOutputEndsWatch gives watch an output whose reader is gone:
// the mail that arrives ends it with 141 (as SIGPIPE would on Unix) and
// stays unread.
func TestClosedOutputEndsWatch(t *testing.T) {
	env := portableEnv(t)
	if r := runIPC(t, env, "", "register", "bob"); r.code != 0 {
		t.Fatalf("register: %+v", r)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close()
	var errb strings.Builder
	a := &App{In: strings.NewReader(""), Out: w, Err: &errb, Getenv: func(k string) string { return env[k] }}
	done := make(chan int, 1)
	go func() {
		root := NewRootCmd(a)
		root.SetArgs([]string{"--as", "bob", "watch"})
		done <- ExitCode(root.Execute())
	}()
	if s := runIPC(t, env, "", "--as", "alice", "send", "bob", "nobody will see this"); s.code != 0 {
		t.Fatalf("send: %+v", s)
	}
	select {
	case code := <-done:
		if code != 141 {
			t.Errorf("watch with a closed output: exit %d, want 141; stderr %q", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not end when its output was closed")
	}
	peek := runIPC(t, env, "", "--as", "bob", "check", "--peek")
	if !strings.Contains(peek.out, "nobody will see this") {
		t.Errorf("the message watch could not show is not unread: %+v; watch said %q", peek, errb.String())
	}
}
