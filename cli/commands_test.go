package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// result is what one in-process run of the command line gave.
type result struct {
	out, err string
	code     int
}

// runIPC runs the command line in-process on fresh streams, with env as
// the whole environment the App sees.
func runIPC(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}
	root := NewRootCmd(a)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil && !errors.Is(err, errSilent) {
		fmt.Fprintln(&errb, "ipc:", err)
	}
	return result{out: out.String(), err: errb.String(), code: ExitCode(err)}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"usage", usageErr(errors.New("x")), ExitUsage},
		{"silent timeout", silentExit(ExitTimeout), ExitTimeout},
		{"bad name", fmt.Errorf("recipient: %w", spool.ErrBadName), ExitUsage},
		{"empty", spool.ErrEmpty, ExitUsage},
		{"taken", fmt.Errorf("claim: %w", &spool.TakenError{Name: "a", PID: 1}), ExitRefused},
		{"rate", &spool.LimitError{Err: spool.ErrRateLimited, RetryAfter: time.Second}, ExitRefused},
		{"quota", &spool.LimitError{Err: spool.ErrQuota}, ExitRefused},
		{"too soon", fmt.Errorf("%w: wait", spool.ErrTooSoon), ExitRefused},
		{"not found", spool.ErrNotFound, ExitRefused},
		{"unsafe", fmt.Errorf("spool: %w", spool.ErrUnsafe), ExitSpool},
		{"unavailable", fmt.Errorf("spool: %w", spool.ErrUnavailable), ExitSpool},
		{"disk full", fmt.Errorf("deliver: %w", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), ExitSpool},
		{"partial delivery", &spool.DeliveryError{Errs: map[string]error{"b": &spool.LimitError{Err: spool.ErrQuota}}}, ExitRefused},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestUsageErrors checks that every mistake in the arguments exits 2 with
// one line, before the spool is created.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"nosuch"},
		{"chek"},
		{"register"},
		{"register", "a", "b"},
		{"register", "bad name"},
		{"send"},
		{"send", "bob"},
		{"send", "bob", "  "},
		{"send", "bad!", "hi"},
		{"send", "bob,", "hi"},
		{"send", "--bogus", "bob", "hi"},
		{"send", "bob", "hi", "--data", "[1,2]"},
		{"send", "bob", "hi", "--data", `{"a":1} x`},
		{"send", "bob", "hi", "--data", "nope"},
		{"--as", "x y", "check"},
		{"check", "extra"},
		{"check", "--limit", "-1"},
		{"reply"},
		{"broadcast"},
		{"list", "x"},
		{"rename"},
		{"rename", "bad name"},
		{"rename", "alice"},
		{"share-file", "bob"},
		{"share-command", "bob"},
		{"share-command", "bob", "ls | wc"},
		{"share-command", "--timeout", "0s", "bob", "ls"},
		{"status", "x"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "spool")
			r := runIPC(t, map[string]string{"IPC_HOME": home, "IPC_NAME": "alice"}, "", args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %q", r.code, ExitUsage, r.err)
			}
			if lines := strings.Count(r.err, "\n"); lines != 1 || !strings.HasPrefix(r.err, "ipc: ") {
				t.Errorf("stderr is not one 'ipc: ' line: %q", r.err)
			}
			if _, err := os.Stat(home); err == nil {
				t.Errorf("a usage error created the spool")
			}
		})
	}
}

func TestSendCheckInProcess(t *testing.T) {
	env := map[string]string{"IPC_HOME": t.TempDir() + "/s"}
	if r := runIPC(t, env, "", "--as", "alice", "send", "bob", "--data", `{"n": 1}`, "hi", "there"); r.code != 0 {
		t.Fatalf("send: %+v", r)
	}
	r := runIPC(t, env, "", "--as", "bob", "--json", "check")
	var msgs []spool.Message
	if err := json.Unmarshal([]byte(r.out), &msgs); err != nil || r.code != 0 {
		t.Fatalf("check --json: %v %+v", err, r)
	}
	var data bytes.Buffer
	if len(msgs) == 1 {
		_ = json.Compact(&data, msgs[0].Data)
	}
	if len(msgs) != 1 || msgs[0].Body != "hi there\n" || msgs[0].From != "alice" || data.String() != `{"n":1}` {
		t.Fatalf("got %+v", msgs)
	}
	r = runIPC(t, env, "", "--as", "bob", "--json", "check")
	if strings.TrimSpace(r.out) != "[]" {
		t.Errorf("empty check --json = %q, want []", r.out)
	}
	env["IPC_NAME"] = "bob"
	if r := runIPC(t, env, "", "check"); r.out != "No new messages\n" || r.code != 0 {
		t.Errorf("empty check = %+v", r)
	}
	if r := runIPC(t, env, "from stdin\n", "send", "carol", "-"); r.code != 0 || !strings.Contains(r.out, "queued for carol") {
		t.Errorf("send from stdin: %+v", r)
	}
	if r := runIPC(t, env, "", "reply", "ffff", "x"); r.code != ExitRefused || !strings.Contains(r.err, "no message") {
		t.Errorf("reply to a missing id: %+v", r)
	}
}

// TestCompletionWithoutSpool checks that completion works when the spool
// does not exist, and never creates it.
func TestCompletionWithoutSpool(t *testing.T) {
	home := filepath.Join(t.TempDir(), "none")
	env := map[string]string{"IPC_HOME": home}
	for _, args := range [][]string{
		{"completion", "bash"},
		{"completion", "zsh"},
		{"__complete", "send", ""},
		{"__complete", "--as", "x", "check", "--"},
	} {
		r := runIPC(t, env, "", args...)
		if r.code != 0 || r.out == "" {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if _, err := os.Stat(home); err == nil {
		t.Fatal("completion created the spool")
	}
}

func TestCompleteNames(t *testing.T) {
	env := map[string]string{"IPC_HOME": t.TempDir() + "/s"}
	for _, n := range []string{"alice", "bob", "carol"} {
		if r := runIPC(t, env, "", "register", n); r.code != 0 {
			t.Fatal(r)
		}
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "send", ""}, "alice\nbob\ncarol\n"},
		{[]string{"__complete", "send", "c"}, "carol\n"},
		{[]string{"__complete", "send", "bob,"}, "bob,alice\nbob,bob\nbob,carol\n"},
		{[]string{"__complete", "register", "a"}, "alice\n"},
		{[]string{"__complete", "share-file", "b"}, "bob\n"},
	}
	for _, tt := range tests {
		r := runIPC(t, env, "", tt.args...)
		got := r.out[:strings.LastIndex(r.out, ":")] // drop the directive line
		if got != tt.want {
			t.Errorf("%v = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestStatusLeader(t *testing.T) {
	home := t.TempDir() + "/s"
	env := map[string]string{"IPC_HOME": home}
	status := func() statusResult {
		t.Helper()
		r := runIPC(t, env, "", "status", "--json")
		var st statusResult
		if err := json.Unmarshal([]byte(r.out), &st); err != nil || r.code != 0 {
			t.Fatalf("status --json: %v %+v", err, r)
		}
		return st
	}
	if st := status(); st.Leader != nil || st.Mailboxes != 0 || st.Online == nil {
		t.Errorf("empty spool: %+v", st)
	}
	if r := runIPC(t, env, "", "status"); !strings.Contains(r.out, "leader:      none (run 'ipc daemon')") {
		t.Errorf("status without leader:\n%s", r.out)
	}
	sp, err := spool.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	lead, ok, err := sp.TryLead()
	if err != nil || !ok {
		t.Fatalf("TryLead: %v %v", ok, err)
	}
	if st := status(); st.Leader == nil || st.Leader.PID != os.Getpid() {
		t.Errorf("live leader: %+v", st.Leader)
	}
	if r := runIPC(t, env, "", "status"); !strings.Contains(r.out, fmt.Sprintf("pid %d, since just now", os.Getpid())) {
		t.Errorf("status with leader:\n%s", r.out)
	}
	lead.Release()
	// A pid that is alive but no longer holds the lock is no leader.
	lock := fmt.Sprintf(`{"pid":%d,"since":%q}`, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(home, "spool.lock"), []byte(lock), 0o600); err != nil {
		t.Fatal(err)
	}
	if st := status(); st.Leader != nil {
		t.Errorf("leader that let go reported: %+v", st.Leader)
	}
}
