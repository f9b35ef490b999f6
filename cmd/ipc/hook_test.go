package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/spool"
)

// hookInput is Claude Code's hook JSON for event.
func hookInput(event, session string, stopActive bool) string {
	b, _ := json.Marshal(map[string]any{
		"session_id": session, "transcript_path": "/nonexistent/t.jsonl", "cwd": "/",
		"hook_event_name": event, "stop_hook_active": stopActive, "prompt": "hello",
	})
	return string(b)
}

// hook runs "ipc hook EVENT" as bob with the given stdin; it must exit 0
// and print nothing on stderr.
func (w *world) hook(event, stdin string) string {
	w.t.Helper()
	r := w.runIn(stdin, "--as", "bob", "hook", event)
	if r.code != 0 || r.err != "" {
		w.t.Fatalf("hook %s: %s", event, r)
	}
	return r.out
}

// sendIDs sends each text from alice to bob and returns the ids.
func (w *world) sendIDs(texts ...string) []string {
	w.t.Helper()
	var ids []string
	for _, s := range texts {
		var rc spool.Receipt
		w.checkJSON(&rc, "--as", "alice", "send", "bob", s)
		ids = append(ids, rc.ID)
	}
	return ids
}

// contextOf decodes a hook's additional-context output, checking that it
// has exactly the shape Claude Code reads.
func contextOf(t *testing.T, event, out string) string {
	t.Helper()
	var v map[string]map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("hook %s output is not one JSON line: %v %q", event, err, out)
	}
	inner, ok := v["hookSpecificOutput"]
	if len(v) != 1 || !ok || len(inner) != 2 || inner["hookEventName"] != event {
		t.Fatalf("hook %s output has the wrong shape: %s", event, out)
	}
	return inner["additionalContext"]
}

// blockReason decodes a Stop hook's block, checking its shape.
func blockReason(t *testing.T, out string) string {
	t.Helper()
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v) != 2 || v["decision"] != "block" || v["reason"] == "" {
		t.Fatalf("Stop output is not a block: %v %q", err, out)
	}
	return v["reason"]
}

func TestHookNoMail(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	w.ok("--as", "bob", "auto-check", "start")
	for _, ev := range []string{"UserPromptSubmit", "PostToolUse", "SessionStart", "Stop"} {
		for _, in := range []string{hookInput(ev, "s1", false), hookInput(ev, "s1", true), "", "not json"} {
			if out := w.hook(ev, in); out != "" {
				t.Errorf("hook %s with no mail, input %q: printed %q", ev, in, out)
			}
		}
	}
	// Not an event ipc answers, or no name at all: nothing, and never exit 2
	// (Claude Code takes exit 2 as "block").
	for _, args := range [][]string{{"--as", "bob", "hook", "PreCompact"}, {"hook", "UserPromptSubmit"}} {
		r := w.runIn(hookInput("x", "s", false), args...)
		if r.code != 0 || r.out != "" {
			t.Errorf("ipc %v: %s", args, r)
		}
	}
	for _, args := range [][]string{{"--as", "bob", "hook"}, {"--as", "bob", "hook", "Stop", "--bogus"}} {
		if r := w.run(args...); r.code == 2 || r.code == 0 || r.out != "" {
			t.Errorf("ipc %v: want a non-blocking error, got %s", args, r)
		}
	}
}

func TestHookNotice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	ids := w.sendIDs("build is green\nall 412 tests pass", "lunch?")
	want := fmt.Sprintf("📬 2 new messages for bob: from alice [UNVERIFIED: cli] \"build is green\" (id %s); from alice [UNVERIFIED: cli] \"lunch?\" (id %s)."+
		" Use the check tool (or `ipc check`) to read them.", ids[0], ids[1])
	for _, ev := range []string{"UserPromptSubmit", "SessionStart", "PostToolUse"} {
		if got := contextOf(t, ev, w.hook(ev, hookInput(ev, "s-"+ev, false))); got != want {
			t.Errorf("hook %s context:\n got %q\nwant %q", ev, got, want)
		}
	}
	if n := filesIn(t, w.mailDir("bob", "new")); len(n) != 2 {
		t.Fatalf("the hook claimed mail: %d left unread", len(n))
	}

	// A session is told of each message once, whichever hook told it.
	if out := w.hook("PostToolUse", hookInput("PostToolUse", "s-UserPromptSubmit", false)); out != "" {
		t.Errorf("PostToolUse repeated what the session was told: %q", out)
	}
	if out := w.hook("PostToolUse", hookInput("PostToolUse", "s-PostToolUse", false)); out != "" {
		t.Errorf("PostToolUse repeated itself: %q", out)
	}
	more := w.sendIDs("deploy done")
	got := contextOf(t, "PostToolUse", w.hook("PostToolUse", hookInput("PostToolUse", "s-PostToolUse", false)))
	want = fmt.Sprintf("📬 1 new message for bob: from alice [UNVERIFIED: cli] \"deploy done\" (id %s). 2 more, told of before, also unread."+
		" Use the check tool (or `ipc check`) to read them.", more[0])
	if got != want {
		t.Errorf("PostToolUse after new mail:\n got %q\nwant %q", got, want)
	}
	if got := contextOf(t, "UserPromptSubmit", w.hook("UserPromptSubmit", hookInput("UserPromptSubmit", "s-UserPromptSubmit", false))); got != want {
		t.Errorf("UserPromptSubmit after new mail:\n got %q\nwant %q", got, want)
	}
	if out := w.hook("UserPromptSubmit", hookInput("UserPromptSubmit", "s-UserPromptSubmit", false)); out != "" {
		t.Errorf("UserPromptSubmit repeated itself: %q", out)
	}

	// Many messages: the newest five are listed, the rest counted.
	w.sendIDs("4", "5", "6", "7", "8", "9")
	got = contextOf(t, "SessionStart", w.hook("SessionStart", ""))
	if !strings.HasPrefix(got, "📬 9 new messages for bob: ") || strings.Count(got, "(id ") != 5 ||
		!strings.Contains(got, "; and 4 older.") || !strings.Contains(got, `"9" (id`) || strings.Contains(got, "lunch") {
		t.Errorf("with 9 unread: %q", got)
	}
}

func TestHookStop(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	stop := func(active bool) string { return w.hook("Stop", hookInput("Stop", "s1", active)) }
	first := w.sendIDs("please review PR 7")
	if out := stop(false); out != "" {
		t.Fatalf("Stop blocked with auto-check off: %q", out)
	}
	if out := w.with("IPC_HOOK_STOP=1").hook("Stop", hookInput("Stop", "s0", false)); !strings.Contains(blockReason(t, out), "PR 7") {
		t.Errorf("IPC_HOOK_STOP=1: %q", out)
	}
	w.ok("--as", "bob", "auto-check", "start", "2")
	want := fmt.Sprintf("📬 1 new message for bob: from alice [UNVERIFIED: cli] \"please review PR 7\" (id %s). "+
		"Read it with the check tool (or `ipc check`) and deal with it before you stop.", first[0])
	if got := blockReason(t, stop(false)); got != want {
		t.Errorf("Stop reason:\n got %q\nwant %q", got, want)
	}
	// Claude continued because of the block and stops again: no newer
	// mail, so it may stop (never trapped in a loop).
	if out := stop(true); out != "" {
		t.Errorf("Stop blocked again for the same mail: %q", out)
	}
	second := w.sendIDs("and PR 8")
	if got := blockReason(t, stop(true)); !strings.Contains(got, "2 new messages") || !strings.Contains(got, second[0]) {
		t.Errorf("Stop with newer mail: %q", got)
	}
	if out := stop(true); out != "" {
		t.Errorf("Stop blocked twice for the same newer mail: %q", out)
	}
	if out := stop(false); out == "" {
		t.Error("a fresh Stop with mail still unread did not block")
	}
	if n := filesIn(t, w.mailDir("bob", "new")); len(n) != 2 {
		t.Errorf("the hook claimed mail: %d unread", len(n))
	}
	var ac awareness.AutoCheck
	w.checkJSON(&ac, "--as", "bob", "auto-check", "status")
	if !ac.Enabled || ac.IntervalMinutes != 2 || ac.LastBlock.IsZero() {
		t.Errorf("auto-check status after blocks: %+v", ac)
	}
	w.ok("--as", "bob", "check")
	if out := stop(false); out != "" {
		t.Errorf("Stop blocked with no unread mail: %q", out)
	}
	w.ok("--as", "bob", "auto-check", "stop")
	w.sendIDs("one more")
	if out := stop(false); out != "" {
		t.Errorf("Stop blocked after auto-check stop: %q", out)
	}
}

func TestAutoCheckCommand(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, bad := range []string{"0", "61", "five"} {
		w.fails(2, []string{"1 to 60"}, "--as", "bob", "auto-check", "start", bad)
	}
	w.fails(2, []string{"--as"}, "auto-check", "status")
	r := w.ok("--as", "bob", "auto-check", "status")
	if !strings.Contains(r.out, "auto-check: off for bob") || !strings.Contains(r.out, "last check: never") ||
		!strings.Contains(r.out, "seen the instant it arrives") {
		t.Errorf("status before start:\n%s", r.out)
	}
	w.ok("--as", "bob", "auto-check", "start", "15")
	w.ok("--as", "alice", "send", "bob", "x")
	w.ok("--as", "bob", "check")
	r = w.ok("--as", "bob", "auto-check", "status")
	if !strings.Contains(r.out, "on for bob, every 15 min") || !strings.Contains(r.out, "last check: just now") {
		t.Errorf("status after start and a check:\n%s", r.out)
	}
	var ac awareness.AutoCheck
	w.checkJSON(&ac, "--as", "bob", "auto-check", "stop")
	if ac.Enabled || ac.IntervalMinutes != 15 || ac.Name != "bob" || ac.LastCheck.IsZero() {
		t.Errorf("stop --json: %+v", ac)
	}
}

// shell is a long-lived "sh -s" reading commands from the test: the common
// parent of the processes a Claude Code session would start.
type shell struct {
	t   *testing.T
	cmd *exec.Cmd
	in  io.WriteCloser
	dir string
	n   int
}

func (w *world) shell() *shell {
	w.t.Helper()
	// The shell stands in for Claude Code: a process named "claude" whose
	// children are one session.
	dir := w.t.TempDir()
	sh := &shell{t: w.t, cmd: exec.Command(agentShell(w.t), "-s"), dir: dir}
	sh.cmd.Env = w.env
	var err error
	if sh.in, err = sh.cmd.StdinPipe(); err != nil {
		w.t.Fatal(err)
	}
	if err := sh.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		for _, pid := range childrenOf(sh.cmd.Process.Pid) { // its background jobs
			_ = signalPID(pid, syscall.SIGKILL)
		}
		sh.in.Close()
		done := make(chan struct{})
		go func() { sh.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			sh.cmd.Process.Kill()
		}
	})
	return sh
}

// agentShell returns a /bin/sh that runs under the name "claude".
func agentShell(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "claude")
	if err := os.Symlink("/bin/sh", p); err != nil {
		t.Fatal(err)
	}
	return p
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		var child, parent int
		var state string
		if i := strings.LastIndexByte(s, ')'); i > 0 {
			if _, err := fmt.Sscanf(s[i+1:], " %s %d", &state, &parent); err == nil && parent == pid {
				fmt.Sscanf(s, "%d", &child)
				out = append(out, child)
			}
		}
	}
	return out
}

func (sh *shell) send(line string) {
	if _, err := io.WriteString(sh.in, line+"\n"); err != nil {
		sh.t.Fatal(err)
	}
}

// background starts an ipc command as a background job of the shell.
func (sh *shell) background(args ...string) {
	sh.send(shellQuote(append([]string{ipcBin}, args...)) + " >/dev/null 2>&1 </dev/null &")
}

// run runs ipc through the shell (wrapped in nest extra shells) with stdin
// and returns its stdout.
func (sh *shell) run(stdin string, nest int, args ...string) string {
	sh.t.Helper()
	sh.n++
	base := filepath.Join(sh.dir, fmt.Sprint(sh.n))
	putFile(sh.t, sh.dir, fmt.Sprint(sh.n)+".in", stdin)
	line := shellQuote(append([]string{ipcBin}, args...)) + " <" + base + ".in >" + base + ".out 2>" + base + ".err"
	for range nest { // "; true" keeps each shell from exec'ing its last command
		line = "sh -c " + shellQuote([]string{line + "; true"})
	}
	sh.send(line + "; echo $? >" + base + ".rc")
	eventually(sh.t, "the shell to run ipc", func() bool { return fileExists(base + ".rc") })
	eventually(sh.t, "the exit status", func() bool { b, _ := os.ReadFile(base + ".rc"); return strings.HasSuffix(string(b), "\n") })
	rc, _ := os.ReadFile(base + ".rc")
	errb, _ := os.ReadFile(base + ".err")
	if strings.TrimSpace(string(rc)) != "0" {
		sh.t.Fatalf("ipc %v via the shell: exit %s: %s", args, rc, errb)
	}
	out, _ := os.ReadFile(base + ".out")
	return string(out)
}

func shellQuote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// onlineNames returns the names held by live processes, with their pids.
func (w *world) onlineNames() map[string]int {
	w.t.Helper()
	var infos []spool.NameInfo
	w.checkJSON(&infos, "list")
	out := map[string]int{}
	for _, n := range infos {
		if n.Online {
			out[n.Name] = n.PID
		}
	}
	return out
}

// TestHookFindsItsSession checks that with no --as and no IPC_NAME the hook
// takes the name held by its sibling process — as Claude Code starts both
// its MCP server and its hooks — not the name of an unrelated holder, and
// says nothing when two siblings hold names (it cannot tell).
func TestHookFindsItsSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, n := range []string{"xena", "yuri", "zoe"} {
		w.ok("--as", "alice", "send", n, "hello "+n)
	}
	w.holdName("yuri") // unrelated: a child of the test, not of the session
	sh := w.shell()
	sh.background("--as", "xena", "watch", "--peek")
	eventually(t, "xena online", func() bool { return w.onlineNames()["xena"] > 0 })
	in := hookInput("UserPromptSubmit", "s1", false)

	got := contextOf(t, "UserPromptSubmit", sh.run(in, 0, "hook", "UserPromptSubmit"))
	if !strings.HasPrefix(got, "📬 1 new message for xena: from alice [UNVERIFIED: cli] \"hello xena\"") {
		t.Errorf("hook in xena's session: %q", got)
	}
	if out := sh.run("", 0, "whoami", "--json"); !strings.Contains(out, `"name": "xena"`) || !strings.Contains(out, `"how": "ancestry"`) {
		t.Errorf("whoami in xena's session: %s", out)
	}
	// Through two wrapper shells the session is still found.
	if out := sh.run(hookInput("UserPromptSubmit", "s2", false), 2, "hook", "UserPromptSubmit"); !strings.Contains(out, "for xena") {
		t.Errorf("hook through two shells: %q", out)
	}

	sh.background("--as", "zoe", "watch", "--peek")
	eventually(t, "zoe online", func() bool { return w.onlineNames()["zoe"] > 0 })
	if out := sh.run(hookInput("UserPromptSubmit", "s4", false), 0, "hook", "UserPromptSubmit"); out != "" {
		t.Errorf("two names in one session: the hook should not guess, printed %q", out)
	}
	// IPC_NAME settles it.
	if out := sh.run(hookInput("UserPromptSubmit", "s3", false), 0, "--as", "zoe", "hook", "UserPromptSubmit"); !strings.Contains(out, "for zoe") {
		t.Errorf("hook --as zoe: %q", out)
	}
	if names := slices.Sorted(maps.Keys(w.onlineNames())); strings.Join(names, ",") != "xena,yuri,zoe" {
		t.Errorf("online: %v", names)
	}

	// With the session's own names gone, the unrelated holder is not taken:
	// their common ancestor (the test, four generations above the hook) is
	// too far up, where unrelated sessions meet.
	for name, pid := range w.onlineNames() {
		if name != "yuri" {
			_ = signalPID(pid, syscall.SIGTERM)
		}
	}
	eventually(t, "xena and zoe offline", func() bool { return len(w.onlineNames()) == 1 })
	if out := sh.run(hookInput("UserPromptSubmit", "s5", false), 2, "hook", "UserPromptSubmit"); out != "" {
		t.Errorf("hook took an unrelated holder's name: %q", out)
	}
}

// TestNoNameAcrossAPlainShell checks that a command run beside a name's
// owner under an ordinary shell (a terminal tab, tmux) does not act as that
// name: only a Claude Code process makes a session.
func TestNoNameAcrossAPlainShell(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("--as", "alice", "send", "xena", "hello xena")
	q := shellQuote([]string{ipcBin})
	script := q + ` --as xena watch --peek >/dev/null 2>&1 &
until ` + q + ` --json list | grep -q '"online": true'; do sleep 0.02; done
` + q + ` check; echo "rc=$?"; kill $!`
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = w.env
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "rc=2") || !strings.Contains(string(out), "who are you") {
		t.Errorf("check beside xena's watch under a plain shell:\n%s", out)
	}
	if strings.Contains(string(out), "hello xena") {
		t.Error("a stranger read xena's mail")
	}
}
