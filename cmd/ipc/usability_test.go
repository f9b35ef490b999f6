package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// hostile is text a sender could use to take over the reader's terminal:
// retitle the window, clear the screen, hide text, ring the bell, return
// the cursor, and the 8-bit CSI.
const hostile = "\x1b]0;owned\a\x1b[2J\x1b[8mhidden\x1b[0m\rback\u009b31m\x7f"

// controlIn returns the first character of s a terminal would act on.
func controlIn(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) {
			return r, true
		}
	}
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	return 0, false
}

// TestNoEscapesReachTheTerminal sends mail whose sender, subject and body
// hold control sequences, by ipc and by a file dropped into new/, and
// checks that check, wait and watch print none of them, shown escaped
// instead, while --json keeps the text exact.
func TestNoEscapesReachTheTerminal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	drop := func() {
		t.Helper()
		raw := "From: \"ev\x1b[5mil\" <evil@example.org>\nTo: bob\nSubject: hi\x1b[2J there\n\nraw \x9b31m bytes" + hostile + "\n"
		putFile(t, w.mailDir("bob", "new"), fmt.Sprintf("%d.drop.host", time.Now().UnixNano()), raw)
	}
	w.okIn("body "+hostile+"\n", "--as", "alice", "send", "bob", "--subject", "subj "+hostile, "-")
	drop()

	check := func(what, out string) {
		t.Helper()
		if r, bad := controlIn(out); bad {
			t.Errorf("%s printed control character %U: %q", what, r, out)
		}
		for _, s := range []string{"^[]0;owned^G^[[2J^[[8mhidden^[[0m^MbackM-^[31m^?", "subj ^[]0;owned"} {
			if !strings.Contains(out, s) {
				t.Errorf("%s lacks %q:\n%q", what, s, out)
			}
		}
	}
	check("check --peek", w.ok("--as", "bob", "check", "--peek").out)
	check("wait --peek", w.ok("--as", "bob", "wait", "--peek", "--timeout", "5s").out)
	if out := w.ok("--as", "bob", "check", "--peek").out; !strings.Contains(out, "raw \ufffd31m bytes") {
		t.Errorf("bytes that are not UTF-8 not replaced:\n%q", out)
	}

	p := w.start("--as", "bob", "watch")
	eventually(t, "watch to print the waiting mail", func() bool { return strings.Contains(p.out.String(), "backM-^[31m") })
	drop()
	eventually(t, "watch to print the dropped mail", func() bool { return strings.Count(p.out.String(), "raw \ufffd31m") == 2 })
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(10 * time.Second)
	check("watch", p.out.String())

	w.okIn("json "+hostile, "--as", "alice", "send", "bob", "-")
	if msgs := w.messages("bob"); len(msgs) != 1 || msgs[0].Body != "json "+hostile {
		t.Errorf("--json changed the text: %+v", msgs)
	}
}

// TestNameFromSession checks that a command run with no --as and no
// IPC_NAME acts as the name the 'ipc mcp' of its own session registered,
// as hooks do, and that whoami --help says so.
func TestNameFromSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("--as", "alice", "send", "xena", "hello xena")
	sh := w.shell()
	fifo := filepath.Join(t.TempDir(), "mcp-in")
	if err := testkit.Mkfifo(fifo); errors.Is(err, errors.ErrUnsupported) {
		t.Skip("no FIFOs on this system")
	} else if err != nil {
		t.Fatal(err)
	}
	// The session's MCP server, its stdin held open by the shell.
	sh.send(shellQuote([]string{ipcBin, "--as", "xena", "mcp"}) + " <" + shellQuote([]string{fifo}) + " >/dev/null 2>&1 &")
	sh.send("exec 3>" + shellQuote([]string{fifo}))
	eventually(t, "xena online", func() bool { return w.onlineNames()["xena"] > 0 })

	if out := sh.run("", 0, "check"); !strings.Contains(out, "from alice") || !strings.Contains(out, "hello xena") {
		t.Errorf("check in xena's session: %q", out)
	}
	if out := sh.run("", 1, "send", "alice", "hi from the session"); !strings.HasPrefix(out, "queued for alice") {
		t.Errorf("send in xena's session: %q", out)
	}
	if msgs := w.messages("alice"); len(msgs) != 1 || msgs[0].From != "xena" {
		t.Errorf("alice got %+v", msgs)
	}

	help := strings.Join(strings.Fields(w.ok("whoami", "--help").out), " ")
	if !strings.Contains(help, "prints the name the other commands act as") {
		t.Errorf("whoami --help: %s", help)
	}
}

// TestWaitCreatesNoMailbox checks that waiting as a name with no mailbox
// (a typo, or mail not sent yet) says so, creates nothing, and still
// wakes the instant a first message creates the mailbox — with inotify
// (polling set to once an hour), with polling, and with no spool at all.
func TestWaitCreatesNoMailbox(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	r := w.run("--as", "neverreg", "wait", "--timeout", "200ms")
	if r.code != 1 || r.out != "" ||
		r.err != "ipc: no mailbox for neverreg yet (see 'ipc list'); waiting anyway\nipc: no mail within 200ms\n" {
		t.Errorf("wait for a name with no mailbox: %s", r)
	}
	if _, err := os.Stat(filepath.Join(w.home, "mail", "neverreg")); err == nil {
		t.Fatal("wait created a mailbox")
	}

	for _, tc := range []struct {
		name    string
		env     []string
		noSpool bool
		inotify bool
	}{
		{"inotify", []string{"IPC_POLL_INTERVAL=1h"}, false, true},
		{"inotify, no spool", []string{"IPC_POLL_INTERVAL=1h"}, true, true},
		{"polling", []string{"IPC_POLL=1", "IPC_POLL_INTERVAL=50ms"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t).with(tc.env...)
			watched := filepath.Dir(w.home) // the nearest directory there is
			if !tc.noSpool {
				w.ok("register", "bob")
				watched = filepath.Join(w.home, "mail")
			}
			p := w.start("--as", "carol", "wait", "--timeout", "60s")
			eventually(t, "wait to say it waits", func() bool { return strings.Contains(p.err.String(), "waiting anyway") })
			if tc.inotify {
				eventually(t, "wait to watch "+watched, func() bool { return inotifyWatching(p.pid(), watched) })
			}
			if _, err := os.Stat(filepath.Join(w.home, "mail", "carol")); err == nil {
				t.Fatal("wait created the mailbox")
			}
			w.ok("--as", "alice", "send", "carol", "first ever")
			if code := p.wait(90 * time.Second); code != 0 {
				t.Fatalf("wait exited %d; stderr: %s", code, p.err)
			}
			if !strings.Contains(p.out.String(), "first ever") {
				t.Errorf("wait printed %q", p.out)
			}
		})
	}
}

// TestRenamedAndUnknownNames checks the one-line notes for check, wait and
// watch run as a renamed name or as a name with no mailbox.
func TestRenamedAndUnknownNames(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	w.ok("--as", "bob", "rename", "bobby2")
	const hint = "ipc: bob was renamed to bobby2; use --as bobby2\n"
	if r := w.ok("--as", "bob", "check"); !strings.HasPrefix(r.err, hint) {
		t.Errorf("check as a renamed name: %s", r)
	}
	if r := w.run("--as", "bob", "wait", "--timeout", "100ms"); r.code != 1 || !strings.HasPrefix(r.err, hint) {
		t.Errorf("wait as a renamed name: %s", r)
	}
	p := w.start("--as", "bob", "watch")
	eventually(t, "watch to start", func() bool { return strings.Contains(p.err.String(), "watching mail for bob") })
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(10 * time.Second)
	if !strings.HasPrefix(p.err.String(), hint) {
		t.Errorf("watch as a renamed name: %s", p.err)
	}
	r := w.ok("--as", "typo1", "check")
	if r.out != "" || r.err != "ipc: no mailbox for typo1 yet (see 'ipc list')\nNo new messages\n" {
		t.Errorf("check as a typo: %s", r)
	}
	if _, err := os.Stat(filepath.Join(w.home, "mail", "typo1")); err == nil {
		t.Error("check created a mailbox")
	}
}

// TestSignalExits holds the commands that wait to the shell's exit codes
// for a signal, 130 for Ctrl-C (SIGINT) and 143 for SIGTERM, with one
// line on stderr (none for watch), and with --json to valid JSON on stdout (the empty list
// for wait, the progress for send --wait-for, the error object for a
// watch that printed nothing). A name held by a live process is refused
// (exit 3) the same way.
func TestSignalExits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	w.ok("register", "carol")
	ready := map[string]func(p *proc) bool{
		"wait": func(p *proc) bool { return inotifyWatching(p.pid(), w.mailDir("bob", "new")) },
		"watch": func(p *proc) bool {
			return strings.Contains(p.err.String(), "watching mail for bob") && inotifyWatching(p.pid(), w.mailDir("bob", "new"))
		},
		"send": func(p *proc) bool {
			return len(filesIn(t, w.mailDir("carol", "new"))) > 0 && inotifyWatching(p.pid(), w.mailDir("carol", "cur"))
		},
	}
	for _, tc := range []struct {
		cmd    string
		args   []string
		stderr string
	}{
		{"wait", []string{"--as", "bob", "wait", "--timeout", "0"}, "ipc: interrupted: no mail\n"},
		{"watch", []string{"--as", "bob", "watch"}, ""}, // stopping a watch is no failure to report
		{"send", []string{"--as", "bob", "send", "carol", "--wait-for", "read", "--timeout", "0", "read me"}, "ipc: interrupted: not read yet\n"},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			for _, js := range []bool{false, true} {
				args := tc.args
				if js {
					args = append([]string{"--json"}, args...)
				}
				for _, f := range filesIn(t, w.mailDir("carol", "new")) {
					_ = os.Remove(filepath.Join(w.mailDir("carol", "new"), f))
				}
				p := w.start(args...)
				eventually(t, tc.cmd+" to wait", func() bool { return ready[tc.cmd](p) })
				_ = p.cmd.Process.Signal(sig)
				code := p.wait(10 * time.Second)
				stderr := p.err.String()
				if tc.cmd == "watch" {
					stderr = stderr[strings.Index(stderr, "(Ctrl-C to stop)\n")+len("(Ctrl-C to stop)\n"):]
				}
				if want := 128 + int(sig); code != want || stderr != tc.stderr {
					t.Errorf("%q on %v: exit %d, stderr %q; want %d, %q", args, sig, code, p.err, want, tc.stderr)
				}
				if js && !json.Valid([]byte(p.out.String())) {
					t.Errorf("%q on %v: stdout is not JSON: %q", args, sig, p.out)
				}
			}
		}
	}
	h := w.holdName("bob")
	for _, args := range [][]string{{"--as", "bob", "check"}, {"--as", "bob", "send", "carol", "hi"}, {"--as", "bob", "wait", "--timeout", "1s"}} {
		r := w.fails(3, []string{fmt.Sprintf("live process %d", h.pid)}, args...)
		if r.out != "" {
			t.Errorf("%q held: stdout %q", args, r.out)
		}
		var obj struct {
			Error struct {
				Code    int    `json:"code"`
				Kind    string `json:"kind"`
				Message string `json:"message"`
			} `json:"error"`
		}
		r = w.run(append([]string{"--json"}, args...)...)
		if err := json.Unmarshal([]byte(r.out), &obj); err != nil || obj.Error.Code != 3 || obj.Error.Kind != "refused" || !strings.Contains(r.err, obj.Error.Message) {
			t.Errorf("--json %q held: exit %d, stdout %q (%v)", args, r.code, r.out, err)
		}
	}
}

// TestHeldNameOneHint checks that refusing a held name gives one piece of
// advice, not the spool's and then the command's.
func TestHeldNameOneHint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h := w.holdName("alice")
	for _, args := range [][]string{{"register", "alice"}, {"--as", "alice", "watch"}, {"--as", "alice", "rename", "alison"}} {
		r := w.fails(3, []string{fmt.Sprintf("live process %d", h.pid)}, args...)
		if n := strings.Count(r.err, "stop"); n != 1 {
			t.Errorf("%v: %d hints to stop the holder: %q", args, n, r.err)
		}
	}
}

// TestSharedOutputShownOnce checks that the human view of a shared
// command shows its output once (in the text, not again in the data line),
// while --json keeps the data whole.
func TestSharedOutputShownOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	w.ok("--as", "alice", "share-command", "bob", "--", "printf", `%s-%s\n`, "unique", "output-7f3")
	f := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(f, []byte("unique-content-9c1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.ok("--as", "alice", "share-file", "bob", f)
	out := w.ok("--as", "bob", "check", "--peek").out
	for _, s := range []string{"unique-output-7f3", "unique-content-9c1"} {
		if n := strings.Count(out, s); n != 1 {
			t.Errorf("%q shown %d times:\n%s", s, n, out)
		}
	}
	if !regexp.MustCompile(`(?m)^    data: \{"command":"printf .*"exit_code":0,.*"type":"command"\}$`).MatchString(out) {
		t.Errorf("data line of the command:\n%s", out)
	}
	msgs := w.messages("bob")
	var data bytes.Buffer
	if len(msgs) > 0 {
		_ = json.Compact(&data, msgs[0].Data)
	}
	if len(msgs) != 2 || !strings.Contains(data.String(), `"stdout":"unique-output-7f3\n"`) {
		t.Errorf("--json lost the output: %s", data.String())
	}

	// The MCP check tool's text, read by a model, gives it once too.
	c, _ := w.mcpStdio(newInbox(), "--as", "carol")
	w.ok("--as", "alice", "share-command", "carol", "--", "printf", `%s-%s\n`, "unique", "output-5d2")
	got := callOK(t, c, "check", map[string]any{"instance_id": "carol"})
	if n := strings.Count(got, "unique-output-5d2"); n != 1 || !strings.Contains(got, `"type":"command"`) {
		t.Errorf("check tool shows the output %d times:\n%s", n, got)
	}
}

// TestDaemonLogsOnTerminal checks that on a terminal the daemon logs one
// short line per action, "10:42:01 routed hello → bob  id=…", not slog's
// key=value text.
func TestDaemonLogsOnTerminal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.openSpool()
	master, slave := openPTY(t)
	cmd := exec.Command(ipcBin, "daemon")
	cmd.Env = w.env
	cmd.Stderr = slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var log testkit.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			log.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		master.Close()
		<-readDone
	}()
	eventually(t, "the daemon to lead", func() bool { return w.leaderPID() == cmd.Process.Pid })
	f := putFile(t, filepath.Join(w.home, "outbox", "tmp"), "hello", scriptMail("t1", "bob", "by the daemon"))
	if err := os.Rename(f, filepath.Join(w.home, "outbox", "new", "hello")); err != nil {
		t.Fatal(err)
	}
	routed := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d routed hello → bob  id=\S+\r?$`)
	eventually(t, "the daemon to log the routing", func() bool { return routed.MatchString(log.String()) })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("daemon: %v", err)
	}
	eventually(t, "the last line", func() bool { return strings.Contains(log.String(), "stopped") })
	got := log.String()
	if !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d leading  pid=\d+ spool=`).MatchString(got) || strings.Contains(got, "level=") || strings.Contains(got, "msg=") {
		t.Errorf("daemon log on a terminal:\n%s", got)
	}
}

// TestClosedOutputLeavesMailUnread checks that a watcher whose output is
// gone does not mark as read the mail it could not show.
func TestClosedOutputLeavesMailUnread(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ipcBin, "--as", "bob", "watch")
	cmd.Env, cmd.Stdout = w.env, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r.Close() // the reader is gone before any mail arrives
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	eventually(t, "bob online", func() bool { return w.onlineNames()["bob"] > 0 })
	w.ok("--as", "alice", "send", "bob", "nobody will see this")
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 141 {
			t.Errorf("watch with a closed output: %v, want exit 141 (as SIGPIPE)", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("watch did not stop when its output was closed")
	}
	if msgs := w.messages("bob"); len(msgs) != 1 || !strings.Contains(msgs[0].Body, "nobody will see this") {
		t.Errorf("the unshown message is not unread: %+v", msgs)
	}
}
