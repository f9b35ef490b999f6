package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/fakemodel"
	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/spool"
)

// claudeKey is the API key the fake model is reached with.
const claudeKey = "sk-ant-api03-ipc-test-key-0123456789abcdefghij"

// claudeEnv is one Claude Code set-up: a HOME with onboarding done, the
// project folder trusted, ipc's MCP server added and the hooks pasted as
// the README says, all pointed at a fake model.
type claudeEnv struct {
	w       *world
	claude  string // the claude binary
	project string // the folder Claude Code runs in
	model   *fakemodel.Server
	env     []string
}

func newClaude(t *testing.T, script fakemodel.Script) *claudeEnv {
	t.Helper()
	bin := npmBin(t, claudePackage, "claude")
	w := newWorld(t)
	home := strings.TrimPrefix(w.env[len(w.env)-3], "HOME=")
	ce := &claudeEnv{w: w, claude: bin, project: filepath.Join(home, "project"), model: startModel(t, script)}
	if err := os.MkdirAll(ce.project, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs after the session's tmux is gone: its servers and waiters end too
		start := time.Now()
		defer func() { t.Logf("the session's processes ended %v after it", time.Since(start)) }()
		waitUntil(10*time.Second, func() bool {
			files, _ := filepath.Glob(filepath.Join(w.home, "state", "wake", "*"))
			for _, f := range files {
				b, _ := os.ReadFile(f)
				if pid := atoiOr(strings.TrimSpace(string(b))); platform.Alive(pid) {
					return false
				}
			}
			return len(w.onlineNames()) == 0
		})
	})
	ce.env = append(append([]string(nil), w.env...),
		"PATH="+filepath.Dir(ipcBin)+":"+filepath.Dir(bin)+":/usr/local/bin:/usr/bin:/bin",
		"TERM=xterm-256color",
		"ANTHROPIC_BASE_URL="+ce.model.URL,
		"ANTHROPIC_API_KEY="+claudeKey,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
		"CLAUDE_CODE_DISABLE_TERMINAL_TITLE=1",
	)
	writeJSONFile(t, filepath.Join(home, ".claude.json"), map[string]any{
		"hasCompletedOnboarding": true,
		"lastOnboardingVersion":  "2.1.332",
		"customApiKeyResponses":  map[string]any{"approved": []string{claudeKey[len(claudeKey)-20:]}, "rejected": []string{}},
		"projects": map[string]any{ce.project: map[string]any{
			"hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true, "allowedTools": []string{},
		}},
	})
	// The hooks block, exactly as the README has it, plus permission for
	// the tools the fake model calls.
	var settings map[string]any
	if err := json.Unmarshal([]byte(readmeBlock(t, "## Hooks: mail seen the moment it lands", "json")), &settings); err != nil {
		t.Fatalf("README hooks block: %v", err)
	}
	settings["permissions"] = map[string]any{"allow": []string{"mcp__ipc", "Bash"}, "defaultMode": "default"}
	writeJSONFile(t, filepath.Join(home, ".claude", "settings.json"), settings)
	return ce
}

// cli runs claude with args (not interactive) in the project folder.
func (ce *claudeEnv) cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(ce.claude, args...)
	cmd.Env, cmd.Dir = ce.env, ce.project
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("claude %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// interactive starts Claude Code in tmux and waits for its prompt.
func (ce *claudeEnv) interactive(t *testing.T) *tmux {
	t.Helper()
	tm := startTmux(t, ce.project, ce.env, []string{ce.claude})
	if !tm.waitScreen(`(?m)^\s*[>❯]`, 60*time.Second) {
		t.Fatalf("Claude Code did not show its prompt:\n%s", tm.screen())
	}
	return tm
}

// readmeCommand returns the first line of the sh block after heading that
// starts with prefix.
func readmeCommand(t *testing.T, heading, prefix string) []string {
	t.Helper()
	for _, line := range strings.Split(readmeBlock(t, heading, "sh"), "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.Fields(line)
		}
	}
	t.Fatalf("README: no %q line after %q", prefix, heading)
	return nil
}

// agent is the fake model's behaviour: it does what each user prompt of
// the form "TOOL name {json}" or "BASH command" says (loading a deferred
// tool through ToolSearch first, as Claude Code requires), then answers
// "done"; a wake reads the mail with the check tool; anything else gets
// "ok". beforeBash, when set, runs just before the model asks for a Bash
// command, while the agent is working.
type agent struct {
	name       string
	beforeBash func(command string)
}

var actionRx = regexp.MustCompile(`(?m)^(TOOL|BASH) (.*)$`)

// action returns the tool the prompt asks for and its input.
func (ag *agent) action(prompt string) (string, map[string]any, bool) {
	if strings.Contains(prompt, wakePrefix) {
		return "check", map[string]any{"instance_id": ag.name}, true
	}
	m := actionRx.FindStringSubmatch(prompt)
	if m == nil {
		return "", nil, false
	}
	if m[1] == "BASH" {
		return "Bash", map[string]any{"command": m[2], "description": "run a command"}, true
	}
	name, input, _ := strings.Cut(m[2], " ")
	args := map[string]any{}
	if input != "" {
		_ = json.Unmarshal([]byte(input), &args)
	}
	return name, args, true
}

func (ag *agent) script(r *fakemodel.Request) fakemodel.Reply {
	if !r.HasTool("Bash") {
		return fakemodel.Reply{Text: "ok"} // a side request (titles, summaries)
	}
	// The newest message that is a prompt or a wake, not a tool result.
	at := -1
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if m := r.Messages[i]; m.Role == "user" && len(m.ToolResults) == 0 && m.Text != "" {
			at = i
			break
		}
	}
	if at < 0 {
		return fakemodel.Reply{Text: "ok"}
	}
	tool, input, ok := ag.action(r.Messages[at].Text)
	if !ok {
		return fakemodel.Reply{Text: "ok"}
	}
	searched := false
	for _, m := range r.Messages[at+1:] {
		for _, c := range m.ToolCalls {
			if c.Name == tool || strings.HasSuffix(c.Name, "__"+tool) {
				return fakemodel.Reply{Text: "done"}
			}
			searched = searched || c.Name == "ToolSearch"
		}
	}
	full := r.ToolName(tool)
	if full == "" && !searched {
		return fakemodel.Reply{Tool: &fakemodel.ToolCall{Name: "ToolSearch", Input: map[string]any{"query": "select:mcp__ipc__" + tool}}}
	}
	if full == "" {
		full = "mcp__ipc__" + tool
	}
	if tool == "Bash" && ag.beforeBash != nil {
		ag.beforeBash(input["command"].(string))
	}
	return fakemodel.Reply{Tool: &fakemodel.ToolCall{Name: full, Input: input}}
}

// wakePrefix is the README's rewakeMessage: how a wake reaches the model.
const wakePrefix = "Mail arrived while you were idle (ipc):"

// mainRequests keeps the requests of the agent's own loop (they offer its
// tools), leaving out side requests.
func mainRequests(reqs []*fakemodel.Request) []*fakemodel.Request {
	var out []*fakemodel.Request
	for _, r := range reqs {
		if r.HasTool("Bash") {
			out = append(out, r)
		}
	}
	return out
}

// surfacedIn counts the main requests whose newest message carries a
// notice of mail ("📬 …") naming s: the times the model was told of it
// afresh.
func surfacedIn(reqs []*fakemodel.Request, s string) int {
	n := 0
	for _, r := range mainRequests(reqs) {
		if text := newestText(r); strings.Contains(text, s) && strings.Contains(text, "📬") {
			n++
		}
	}
	return n
}

// waitRequest waits for the next main request after from that carries s
// in its newest message and returns it with its index.
func (ce *claudeEnv) waitRequest(t *testing.T, tm *tmux, from int, s string, limit time.Duration) (*fakemodel.Request, int) {
	t.Helper()
	r, i, ok := ce.model.WaitFor(from, limit, func(r *fakemodel.Request) bool {
		return r.HasTool("Bash") && strings.Contains(newestText(r), s)
	})
	if !ok {
		t.Fatalf("no model request carrying %q within %s\nscreen:\n%s", s, limit, tm.screen())
	}
	return r, i
}

// countRequests counts the main requests whose newest message has s.
func countRequests(reqs []*fakemodel.Request, s string) int {
	n := 0
	for _, r := range mainRequests(reqs) {
		if strings.Contains(newestText(r), s) {
			n++
		}
	}
	return n
}

// newestText is the text of r's newest message, tool results included.
func newestText(r *fakemodel.Request) string {
	last := r.Last()
	text := last.Text
	for _, tr := range last.ToolResults {
		text += "\n" + tr.Text
	}
	return text
}

// toolResult returns the text of the newest tool result in r.
func toolResult(r *fakemodel.Request) string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if trs := r.Messages[i].ToolResults; len(trs) > 0 {
			return trs[len(trs)-1].Text
		}
	}
	return ""
}

// waiters returns the pids recorded as waiting to wake name's sessions.
func (w *world) waiters(name string) []int {
	var pids []int
	files, _ := filepath.Glob(filepath.Join(w.home, "state", "wake", name+".*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if pid := atoiOr(strings.TrimSpace(string(b))); platform.Alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// idle waits until the session has finished its turn: a waking hook that
// was not there before (not in old) waits for its mail.
func (w *world) idle(t *testing.T, tm *tmux, name string, old []int) []int {
	t.Helper()
	var now []int
	ok := waitUntil(30*time.Second, func() bool {
		now = w.waiters(name)
		for _, p := range now {
			if !slices.Contains(old, p) {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no new waking hook for %s (had %v)\nscreen:\n%s", name, old, tm.screen())
	}
	return now
}

func waitUntil(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

// TestClaudeCode drives the real Claude Code, set up as the README says,
// through a session: the tools reach the model, register makes the name
// online, whoami in its shell finds the name, mail reaches the model while
// it works (hook context) and wakes it when idle, each message once.
func TestClaudeCode(t *testing.T) {
	ag := &agent{name: "alice"}
	ce := newClaude(t, ag.script)
	w := ce.w
	sp := w.openSpool()
	add := readmeCommand(t, "**Claude Code**", "claude mcp add --scope user ")
	ce.cli(t, add[1:]...)
	tm := ce.interactive(t)

	// The tools reach the model, and registering makes the name online.
	tm.typeLine(`TOOL register {"instance_id":"alice"}`)
	r, at := ce.waitRequest(t, tm, 0, "alice", 60*time.Second)
	if res := toolResult(r); !strings.Contains(res, "alice") {
		t.Errorf("register's result: %q", res)
	}
	if !sp.Presence("alice").Online {
		t.Fatalf("alice is not online after register")
	}
	waiting := w.idle(t, tm, "alice", nil)

	// ipc whoami, run by the model in Claude Code's shell, finds the name.
	tm.typeLine("BASH ipc whoami")
	_, at = ce.waitRequest(t, tm, at+1, "alice (held by pid", 30*time.Second)
	waiting = w.idle(t, tm, "alice", waiting)

	// Mail sent from an unrelated shell while the agent works reaches it
	// with the next tool result (PostToolUse context), without a check.
	var workID string
	ag.beforeBash = func(cmd string) {
		if strings.Contains(cmd, "#work") {
			workID = strings.TrimSpace(w.ok("--as", "carol", "--json", "send", "alice", "while you work").out)
		}
	}
	tm.typeLine("BASH sleep 1 #work")
	_, at = ce.waitRequest(t, tm, at+1, "while you work", 30*time.Second)
	waiting = w.idle(t, tm, "alice", waiting)
	if c := surfacedIn(ce.model.Requests(), "while you work"); c != 1 || workID == "" {
		t.Errorf("the mail sent during work surfaced %d times, want once", c)
	}

	// Idle, the agent is woken by mail: a new model request carries it.
	var latencies []time.Duration
	for i := range 3 {
		body := fmt.Sprintf("wake up %d", i)
		rc, err := sp.Send(spool.Draft{From: "carol", To: []string{"alice"}, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		stored := time.Now()
		r, at = ce.waitRequest(t, tm, at+1, rc.ID, 30*time.Second)
		latencies = append(latencies, r.At.Sub(stored))
		if !strings.Contains(r.Last().Text, wakePrefix) {
			t.Errorf("the wake did not come through the waking hook: %q", r.Last().Text)
		}
		// The woken model reads it with the check tool.
		var ok bool
		if _, at, ok = ce.model.WaitFor(at+1, 30*time.Second, func(r *fakemodel.Request) bool { return strings.Contains(toolResult(r), body) }); !ok {
			t.Fatalf("the woken model's check did not return %q\n%s", body, tm.screen())
		}
		waiting = w.idle(t, tm, "alice", waiting)
		if mb, _ := sp.Mailbox("alice"); mb != nil {
			if u, _ := mb.Unread(); u != 0 {
				t.Errorf("after the woken check, %d unread, want 0", u)
			}
		}
		if c := surfacedIn(ce.model.Requests(), rc.ID); c != 1 {
			t.Errorf("message %s surfaced %d times, want once", rc.ID, c)
		}
		var ps []spool.Progress
		w.checkJSON(&ps, "status", rc.ID)
		if len(ps) != 1 || ps[0].State != spool.Read || ps[0].At["notified"].IsZero() {
			t.Errorf("delivery of %s after the woken check: %+v, want read (and notified on the way)", rc.ID, ps)
		}
	}
	t.Logf("wake latency, stored (rename+fsync) → model request through Claude Code: %v", latencies)

	// With auto-check on, mail left unread when the agent would stop
	// blocks it once, and only once: it is never trapped.
	// (Only alice's own session may change alice's settings.)
	tm.typeLine("BASH ipc auto-check start 1")
	_, at = ce.waitRequest(t, tm, at+1, "auto-check: on for alice", 30*time.Second)
	waiting = w.idle(t, tm, "alice", waiting)
	ag.beforeBash = func(cmd string) {
		if strings.Contains(cmd, "#stop") {
			w.ok("--as", "carol", "send", "alice", "before you go")
		}
	}
	tm.typeLine("BASH true #stop")
	_, at = ce.waitRequest(t, tm, at+1, "before you go", 30*time.Second)
	ce.waitRequest(t, tm, at+1, "before you stop", 30*time.Second)
	waiting = w.idle(t, tm, "alice", waiting)
	if n := countRequests(ce.model.Requests(), "before you stop"); n != 1 {
		t.Errorf("the Stop hook blocked %d times, want once", n)
	}
	if len(waiting) != 1 {
		t.Errorf("waiters of alice's session: %v, want one", waiting)
	}
}

// TestClaudeSessionStartBacklog checks that mail waiting when a session
// starts is announced: the SessionStart hook waits for the session's MCP
// server (given its name with -e IPC_NAME, as the README shows) to hold the
// name.
func TestClaudeSessionStartBacklog(t *testing.T) {
	ag := &agent{name: "bob"}
	ce := newClaude(t, ag.script)
	add := readmeCommand(t, "**Claude Code**", "claude mcp add --scope project ")
	for i, f := range add {
		switch {
		case f == "project":
			add[i] = "user" // no project-server approval prompt in the test
		case strings.HasPrefix(f, "IPC_NAME="):
			add[i] = "IPC_NAME=bob"
		}
	}
	ce.cli(t, add[1:]...)
	id := ce.w.sendIDs("waiting since before you started")[0]
	tm := ce.interactive(t)
	tm.typeLine("hello")
	r, _, ok := ce.model.WaitFor(0, 60*time.Second, func(r *fakemodel.Request) bool { return r.HasTool("Bash") && strings.Contains(r.Text(), "hello") })
	if !ok {
		t.Fatalf("no model request carrying the prompt\n%s", tm.screen())
	}
	if !strings.Contains(r.Text(), "SessionStart hook additional context: 📬") || strings.Count(r.Text(), "(id "+id+")") != 1 {
		t.Errorf("the first request does not announce the waiting mail %s once, from SessionStart:\n%s", id, r.Text())
	}
	var ps []spool.Progress
	ce.w.checkJSON(&ps, "status", id)
	if len(ps) != 1 || ps[0].State != spool.Surfaced {
		t.Errorf("delivery of the waiting mail: %+v, want surfaced", ps)
	}
}
