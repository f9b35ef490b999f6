package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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
func runIPC(t testing.TB, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}
	code := Run(a, args)
	return result{out: out.String(), err: errb.String(), code: code}
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
		{"status", "x", "y"},
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
	if len(msgs) != 1 || msgs[0].Body != "hi there" || msgs[0].From != "alice" || data.String() != `{"n":1}` {
		t.Fatalf("got %+v", msgs)
	}
	r = runIPC(t, env, "", "--as", "bob", "--json", "check")
	if strings.TrimSpace(r.out) != "[]" {
		t.Errorf("empty check --json = %q, want []", r.out)
	}
	env["IPC_NAME"] = "bob"
	if r := runIPC(t, env, "", "check"); r.out != "" || r.err != "No new messages\n" || r.code != 0 {
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
	sp, err := spool.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	if st := status(); st.Leader != nil || st.Mailboxes != 0 || st.Online == nil {
		t.Errorf("empty spool: %+v", st)
	}
	if r := runIPC(t, env, "", "status"); !strings.Contains(r.out, "leader:      none (run 'ipc daemon')") {
		t.Errorf("status without leader:\n%s", r.out)
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
	if err := os.WriteFile(filepath.Join(home, "spool.holder"), []byte(lock), 0o600); err != nil {
		t.Fatal(err)
	}
	if st := status(); st.Leader != nil {
		t.Errorf("leader that let go reported: %+v", st.Leader)
	}
}

// TestArgsErrors checks that a wrong number of arguments is explained in
// the command's own words, not cobra's.
func TestArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"send"}, "send needs TO and a MESSAGE (or - to read it from stdin)"},
		{[]string{"reply"}, "reply needs the ID of a message ('ipc check' shows it) and a MESSAGE (or - to read it from stdin)"},
		{[]string{"check", "extra"}, `check takes no arguments, got "extra"`},
		{[]string{"list", "x", "y"}, `list takes no arguments, got "x" "y"`},
		{[]string{"wait", "5m"}, `wait takes no arguments (give a time limit with --timeout), got "5m"`},
		{[]string{"register"}, "register needs the NAME to claim"},
		{[]string{"register", "a", "b"}, `register takes one NAME, got "a" "b"`},
		{[]string{"rename"}, "rename needs your NEW name"},
		{[]string{"share-file", "bob"}, "share-file needs TO and the PATH of a text file"},
		{[]string{"share-command", "bob"}, "share-command needs TO and the command to run, after --"},
		{[]string{"do"}, `do needs a PHRASE, like "msg bob: the build is green"`},
		{[]string{"auto-check", "sometimes"}, `auto-check: say start [MINUTES], stop or status, not "sometimes"`},
		{[]string{"auto-check", "start", "5", "6"}, `auto-check start takes at most the MINUTES between checks, got "5" "6"`},
		{[]string{"auto-check", "stop", "now"}, `auto-check stop takes no arguments, got "now"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			env := map[string]string{"IPC_HOME": t.TempDir() + "/s", "IPC_NAME": "alice"}
			r := runIPC(t, env, "", tt.args...)
			if r.code != ExitUsage || r.err != "ipc: "+tt.want+"\n" {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.err, tt.want)
			}
		})
	}
}

// TestDashMessageHint checks that a message taken for a flag says how to
// send it, and that -- does.
func TestDashMessageHint(t *testing.T) {
	env := map[string]string{"IPC_HOME": t.TempDir() + "/s", "IPC_NAME": "alice"}
	for _, args := range [][]string{
		{"send", "bob", "-n"},
		{"send", "bob", "--verbose", "please"},
		{"reply", "abcd", "-1"},
		{"broadcast", "-x"},
	} {
		r := runIPC(t, env, "", args...)
		if r.code != ExitUsage || !strings.HasSuffix(r.err, "; put -- before a message that starts with '-'\n") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.err)
		}
	}
	if r := runIPC(t, env, "", "share-command", "bob", "-x"); strings.Contains(r.err, "put --") {
		t.Errorf("share-command got the message hint: %q", r.err)
	}
	if r := runIPC(t, env, "", "send", "bob", "--", "-n", "is a flag of echo"); r.code != 0 {
		t.Fatalf("send -- -n: %+v", r)
	}
	r := runIPC(t, map[string]string{"IPC_HOME": env["IPC_HOME"], "IPC_NAME": "bob"}, "", "--json", "check")
	if !strings.Contains(r.out, `"body": "-n is a flag of echo"`) {
		t.Errorf("bob got %s", r.out)
	}
}

// TestNotUTF8Refused checks that send, reply and broadcast refuse bytes that
// are not UTF-8 text, from stdin or arguments, before anything is written.
func TestNotUTF8Refused(t *testing.T) {
	home := t.TempDir() + "/s"
	env := map[string]string{"IPC_HOME": home, "IPC_NAME": "alice"}
	bin := "\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe"
	for _, tt := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"\xff\xfe", []string{"send", "bob", "-"}, "not UTF-8 text (byte 0 is 0xff)"},
		{"", []string{"send", "bob", "caf\xe9"}, "not UTF-8 text (byte 3 is 0xe9)"},
		{"nul\x00inside", []string{"send", "bob", "-"}, "message holds a NUL byte at byte 3"},
		{bin, []string{"reply", "abcd", "-"}, "NUL byte"},
		{bin, []string{"broadcast", "-"}, "NUL byte"},
		{"", []string{"send", "bob", "--subject", "\xff", "hi"}, "--subject is not UTF-8 text"},
		{"", []string{"send", "bob", "--data", "{\"a\":\"\xff\"}", "hi"}, "--data is not UTF-8 text"},
	} {
		r := runIPC(t, env, tt.stdin, tt.args...)
		if r.code != ExitUsage || !strings.Contains(r.err, tt.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tt.args, r.code, r.err, tt.want)
		}
		if tt.want != "NUL byte" && strings.Contains(r.err, "NUL") != strings.Contains(tt.want, "NUL") {
			t.Errorf("%q: stderr %q gives the wrong reason", tt.args, r.err)
		}
	}
	if r := runIPC(t, env, "\xff", "send", "bob", "-"); r.err != "ipc: message is not UTF-8 text (byte 0 is 0xff); to send a binary file, share its path\n" {
		t.Errorf("stderr %q", r.err)
	}
	if _, err := os.Stat(home); err == nil {
		t.Error("a refused message created the spool")
	}
	if r := runIPC(t, env, "naïve café ✓\n", "send", "bob", "-"); r.code != 0 {
		t.Errorf("UTF-8 text refused: %+v", r)
	}
}

// TestReadersCreateNoSpool checks that commands that only read, given a
// spool directory that does not exist, say so (or say nothing) and leave
// no spool behind.
func TestReadersCreateNoSpool(t *testing.T) {
	home := filepath.Join(t.TempDir(), "typo")
	env := map[string]string{"IPC_HOME": home}
	noSpool := "ipc: no spool at " + home + " yet (it is created by the first send or register)\n"
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"status"}, 0, "", noSpool},
		{[]string{"list"}, 0, "", noSpool},
		{[]string{"--json", "list"}, 0, "[]\n", noSpool},
		{[]string{"--as", "bob", "check"}, 0, "", noSpool + "No new messages\n"},
		{[]string{"--as", "bob", "--json", "check"}, 0, "[]\n", noSpool},
		{[]string{"--as", "bob", "hook", "UserPromptSubmit"}, 0, "", ""},
		{[]string{"hook", "Stop"}, 0, "", ""},
		{[]string{"--as", "bob", "whoami"}, 0, "bob (from --as)\n", ""},
		{[]string{"whoami"}, ExitUsage, "", "ipc: who are you? give --as NAME or set IPC_NAME\n"},
		{[]string{"--as", "bob", "auto-check", "status", "--json"}, 0, "{\n  \"name\": \"bob\",\n  \"enabled\": false,\n  \"interval_minutes\": 5\n}\n", ""},
		{[]string{"check"}, ExitUsage, "", "ipc: who are you? give --as NAME or set IPC_NAME\n"},
	}
	for _, tt := range tests {
		r := runIPC(t, env, "", tt.args...)
		if r.code != tt.code || r.out != tt.out || r.err != tt.err {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, r.code, r.out, r.err, tt.code, tt.out, tt.err)
		}
	}
	var st statusResult
	r := runIPC(t, env, "", "--json", "status")
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || st.Spool != home || st.Mailboxes != 0 || st.Online == nil {
		t.Errorf("status --json: %v %+v", err, r)
	}
	if _, err := os.Stat(home); err == nil {
		t.Fatal("a command that only reads created the spool")
	}
	if r := runIPC(t, env, "", "--as", "alice", "send", "bob", "hi"); r.code != 0 {
		t.Fatalf("send: %+v", r)
	}
	if _, err := os.Stat(home); err != nil {
		t.Errorf("send did not create the spool: %v", err)
	}
}

// TestDataCarriedByteForByte checks that --data reaches the reader as it
// was typed (no float64 rounding, no key sorting) and that a refusal says
// its real reason.
func TestDataCarriedByteForByte(t *testing.T) {
	env := map[string]string{"IPC_HOME": t.TempDir() + "/s"}
	const data = `{"order_id":9007199254740993,"b":1,"a":2}`
	if r := runIPC(t, env, "", "--as", "alice", "send", "bob", "--data", data, "order"); r.code != 0 {
		t.Fatalf("send: %+v", r)
	}
	r := runIPC(t, env, "", "--as", "bob", "--json", "check")
	var msgs []struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.out), &msgs); err != nil || len(msgs) != 1 {
		t.Fatalf("check --json: %v %+v", err, r)
	}
	var got bytes.Buffer // --json indents; the numbers and the order are the sender's
	if err := json.Compact(&got, msgs[0].Data); err != nil || got.String() != data {
		t.Errorf("--data %s arrived as %s", data, msgs[0].Data)
	}
	for _, c := range []struct{ data, want string }{
		{`{"e":1e400}`, "number 1e400 is out of the range"},
		{`[1]`, "must be a JSON object"},
		{`{"a":`, "not valid JSON"},
	} {
		r := runIPC(t, env, "", "--as", "alice", "send", "bob", "--data", c.data, "x")
		if r.code != ExitUsage || !strings.Contains(r.err, c.want) {
			t.Errorf("--data %s: exit %d, stderr %q, want %q", c.data, r.code, r.err, c.want)
		}
	}
}

// TestCheckNamesTroubles checks the one-line notes for a name with no
// mailbox (a typo) and for a renamed name.
func TestCheckNamesTroubles(t *testing.T) {
	home := t.TempDir() + "/s"
	env := map[string]string{"IPC_HOME": home}
	if r := runIPC(t, env, "", "register", "bob"); r.code != 0 {
		t.Fatal(r)
	}
	r := runIPC(t, env, "", "--as", "typo1", "check")
	if r.code != 0 || r.out != "" || r.err != "ipc: no mailbox for typo1 yet (see 'ipc list')\nNo new messages\n" {
		t.Errorf("check a typo: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(home, "mail", "typo1")); err == nil {
		t.Error("check created a mailbox for a typo")
	}
	if r := runIPC(t, env, "", "--as", "bob", "rename", "bobby2"); r.code != 0 {
		t.Fatal(r)
	}
	r = runIPC(t, env, "", "--as", "bob", "check")
	if r.code != 0 || !strings.HasPrefix(r.err, "ipc: bob was renamed to bobby2; use --as bobby2\n") {
		t.Errorf("check a renamed name: %+v", r)
	}
}

// TestCompleteReplyIDs checks that reply completes the ids of the
// caller's messages, read and unread, newest first, described by sender
// and subject, and that no command that takes names, ids or text offers
// file names.
func TestCompleteReplyIDs(t *testing.T) {
	home := t.TempDir() + "/s"
	clock := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	sp, err := spool.Open(home, spool.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, s := range []string{"oldest", "middle", "newest \x1b[2J"} {
		clock = clock.Add(time.Minute)
		rc, err := sp.Send(spool.Draft{From: []string{"alice", "carol", "alice"}[i], To: []string{"bob"}, Body: s})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ID)
	}
	mb, _ := sp.Mailbox("bob")
	if _, err := mb.Check(spool.CheckOptions{Limit: 1}); err != nil { // the oldest is read
		t.Fatal(err)
	}
	env := map[string]string{"IPC_HOME": home, "IPC_NAME": "bob"}
	r := runIPC(t, env, "", "__complete", "reply", "")
	want := ids[2] + "\talice: newest ^[[2J\n" + ids[1] + "\tcarol: middle\n" + ids[0] + "\talice: oldest\n:36\n"
	if !strings.HasPrefix(r.out, want) {
		t.Errorf("reply completion:\n%q\nwant\n%q", r.out, want)
	}
	r = runIPC(t, env, "", "__complete", "reply", ids[1][:3])
	if !strings.HasPrefix(r.out, ids[1]+"\tcarol: middle\n:36\n") && !strings.HasPrefix(ids[0], ids[1][:3]) {
		t.Errorf("reply completion of a prefix: %q", r.out)
	}
	if n, _ := mb.Unread(); n != 2 {
		t.Errorf("completion changed the mailbox: %d unread, want 2", n)
	}
	for _, tt := range []struct {
		args []string
		dir  string
	}{
		{[]string{"hook", ""}, ":4"},
		{[]string{"hook", "Stop", ""}, ":4"},
		{[]string{"check", ""}, ":4"},
		{[]string{"status", ""}, ":4"},
		{[]string{"send", "bob", ""}, ":4"},
		{[]string{"reply", ids[0], ""}, ":4"},
		{[]string{"auto-check", "start", ""}, ":4"},
		{[]string{"share-file", "bob", ""}, ":0"},
		{[]string{"share-command", "bob", ""}, ":0"},
	} {
		r := runIPC(t, env, "", append([]string{"__complete"}, tt.args...)...)
		lines := strings.Split(strings.TrimSpace(r.out), "\n")
		if got := lines[len(lines)-1]; got != tt.dir {
			t.Errorf("%v: directive %s, want %s", tt.args, got, tt.dir)
		}
	}
}

// TestReadersSendReceipts checks that check, wait and watch --peek keep
// the rule the MCP server keeps: a message whose data asks for a read
// receipt gets one when it is read, not when it is peeked at.
func TestReadersSendReceipts(t *testing.T) {
	tests := []struct {
		args []string
		sent bool
	}{
		{[]string{"check"}, true},
		{[]string{"check", "--json"}, true},
		{[]string{"check", "--all"}, true},
		{[]string{"check", "--peek"}, false},
		{[]string{"wait", "--timeout", "5s"}, true},
		{[]string{"wait", "--peek", "--timeout", "5s"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			env := map[string]string{"IPC_HOME": filepath.Join(t.TempDir(), "spool")}
			if r := runIPC(t, env, "", "--as", "alice", "send", "--data", `{"receipt":true}`, "bob", "please confirm"); r.code != 0 {
				t.Fatalf("send: %s", r.err)
			}
			r := runIPC(t, env, "", append([]string{"--as", "bob"}, tt.args...)...)
			if r.code != 0 || !strings.Contains(r.out, "please confirm") {
				t.Fatalf("%v: code %d out %q err %q", tt.args, r.code, r.out, r.err)
			}
			if said := strings.Contains(r.err, "Read receipt sent to alice"); said != tt.sent {
				t.Errorf("stderr %q: receipt reported %v, want %v", r.err, said, tt.sent)
			}
			back := runIPC(t, env, "", "--as", "alice", "check", "--json")
			if got := regexp.MustCompile(`"type":\s*"receipt"`).MatchString(back.out); got != tt.sent {
				t.Errorf("alice's mailbox %s: receipt there %v, want %v", back.out, got, tt.sent)
			}
		})
	}
}

// TestTreeBuiltExplicitly checks that no file of the package registers
// anything from an init function: the command tree is wired in
// commands(), so every NewRootCmd builds the same fresh tree.
func TestTreeBuiltExplicitly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s has an init function: add the command to commands() in root.go instead", name)
			}
		}
	}
	root := NewRootCmd(&App{Getenv: func(string) string { return "" }})
	if n := len(root.Commands()); n < len(commands()) {
		t.Errorf("the tree has %d commands, commands() lists %d", n, len(commands()))
	}
}
