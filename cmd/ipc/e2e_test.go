package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// idRE finds the message id ipc prints after sending.
var idRE = regexp.MustCompile(`\(id ([0-9a-f]{12})\)|; id ([0-9a-f]{12})\)`)

func sentID(t *testing.T, out string) string {
	t.Helper()
	m := idRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no message id in %q", out)
	}
	return m[1] + m[2]
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func hasKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no %q field in %v", what, k, keys(m))
		}
	}
}

// TestTwoAgents is the first thing anyone does: two agents, each its own
// process, one sends, the other checks.
func TestTwoAgents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "alice")
	w.ok("register", "bob")
	r := w.ok("--as", "alice", "send", "bob", "hi bob, the build is green")
	if !strings.HasPrefix(r.out, "sent to bob (id ") {
		t.Errorf("send said %q", r.out)
	}
	id := sentID(t, r.out)

	r = w.ok("--as", "bob", "check")
	for _, s := range []string{id, "from alice", "just now", "    hi bob, the build is green"} {
		if !strings.Contains(r.out, s) {
			t.Errorf("check output lacks %q:\n%s", s, r.out)
		}
	}
	// "No new messages" is status, not data: stdout stays empty.
	if r = w.ok("--as", "bob", "check"); r.out != "" || r.err != "No new messages\n" {
		t.Errorf("second check: %s", r)
	}
	// IPC_NAME names the caller as --as does.
	w.with("IPC_NAME=alice").ok("send", "bob", "second")
	if r = w.with("IPC_NAME=bob").ok("check"); !strings.Contains(r.out, "second") {
		t.Errorf("check as IPC_NAME=bob: %q", r.out)
	}
}

// TestJSONShapes pins the field names scripts depend on.
func TestJSONShapes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var reg map[string]any
	w.checkJSON(&reg, "register", "bob")
	hasKeys(t, "register", reg, "name", "waiting", "mailbox")

	var rc map[string]any
	w.checkJSON(&rc, "--as", "alice", "send", "bob", "--data", `{"k":"v"}`, "hello")
	hasKeys(t, "send", rc, "id", "delivered")
	dl := rc["delivered"].([]any)[0].(map[string]any)
	hasKeys(t, "send delivered", dl, "to", "mailbox", "path")

	var msgs []map[string]any
	w.checkJSON(&msgs, "--as", "bob", "check", "--peek")
	if len(msgs) != 1 {
		t.Fatalf("check --json: %v", msgs)
	}
	hasKeys(t, "check", msgs[0], "id", "from", "to", "date", "subject", "body", "data", "path")
	if d, _ := json.Marshal(msgs[0]["data"]); string(d) != `{"k":"v"}` {
		t.Errorf("data = %s", d)
	}
	if msgs[0]["id"] != rc["id"] {
		t.Errorf("check id %v, send id %v", msgs[0]["id"], rc["id"])
	}

	var list []map[string]any
	w.checkJSON(&list, "list")
	if len(list) != 1 {
		t.Fatalf("list --json: %v", list)
	}
	hasKeys(t, "list", list[0], "name", "online", "unread", "registered", "last_seen")

	var st map[string]any
	w.checkJSON(&st, "status")
	hasKeys(t, "status", st, "spool", "mailboxes", "unread", "online", "quarantined", "leader", "watcher")
	if st["unread"] != 1.0 || st["mailboxes"] != 1.0 || st["leader"] != nil {
		t.Errorf("status = %v", st)
	}
	if runtime.GOOS == "linux" && st["watcher"] != "inotify" {
		t.Errorf("status watcher = %v, want inotify", st["watcher"])
	}
	if out := w.with("IPC_POLL=1", "IPC_POLL_INTERVAL=100ms").ok("status").out; !strings.Contains(out, "watcher:     poll every 100ms (IPC_POLL=1)\n") {
		t.Errorf("status with IPC_POLL=1:\n%s", out)
	}

	var empty []any
	w.checkJSON(&empty, "--as", "bob", "check")
	w.checkJSON(&empty, "--as", "bob", "check")
	if empty == nil || len(empty) != 0 {
		t.Errorf("empty check --json = %v, want []", empty)
	}
}

// TestFutureMessaging sends to a name before it exists.
func TestFutureMessaging(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.ok("--as", "alice", "send", "carol", "welcome aboard")
	if !strings.HasPrefix(r.out, "queued for carol (not yet registered") {
		t.Errorf("send said %q", r.out)
	}
	if r = w.ok("list"); !regexp.MustCompile(`carol\s+never registered\s+1\b`).MatchString(r.out) {
		t.Errorf("list:\n%s", r.out)
	}
	r = w.ok("register", "carol")
	if !strings.Contains(r.out, "Registered carol. 1 message waiting: run 'ipc --as carol check'.") ||
		!strings.Contains(r.out, "export IPC_NAME=carol") {
		t.Errorf("register said %q", r.out)
	}
	if r = w.ok("--as", "carol", "register", "carol"); strings.Contains(r.out, "export") {
		t.Errorf("register reminded carol of a name she uses already: %q", r.out)
	}
	if msgs := w.messages("carol"); len(msgs) != 1 || msgs[0].Body != "welcome aboard" {
		t.Errorf("carol got %+v", msgs)
	}
}

func TestBroadcast(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, n := range []string{"a", "b", "c"} {
		w.ok("register", n)
	}
	w.ok("--as", "a", "send", "d", "before d registers")
	r := w.ok("--as", "a", "broadcast", "all", "hands")
	if !regexp.MustCompile(`^sent to 2 mailboxes, queued for 1 not yet registered \(id [0-9a-f]{12}\)\n$`).MatchString(r.out) {
		t.Errorf("broadcast said %q", r.out)
	}
	var rc spool.Receipt
	w.checkJSON(&rc, "--as", "a", "broadcast", "again")
	if len(rc.Delivered) != 3 {
		t.Errorf("broadcast --json delivered %+v", rc.Delivered)
	}
	for _, n := range []string{"b", "c"} {
		if msgs := w.messages(n); len(msgs) != 2 || msgs[0].Body != "all hands" || msgs[0].From != "a" {
			t.Errorf("%s got %+v", n, msgs)
		}
	}
	if msgs := w.messages("a"); len(msgs) != 0 {
		t.Errorf("the sender got its own broadcast: %+v", msgs)
	}
	// Alone in the spool there is nobody to broadcast to.
	w2 := newWorld(t)
	w2.ok("register", "solo")
	w2.fails(3, []string{"nobody to broadcast to"}, "--as", "solo", "broadcast", "hello?")
}

// TestReplyThread checks that replies carry the thread in the file, where
// mail readers see it.
func TestReplyThread(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "alice")
	id := sentID(t, w.ok("--as", "alice", "send", "bob", "shall we ship?").out)
	w.ok("--as", "bob", "check")
	r := w.ok("--as", "bob", "reply", id[:6], "yes, ship it")
	if !strings.HasPrefix(r.out, "replied to alice") {
		t.Errorf("reply said %q", r.out)
	}
	msgs := w.messages("alice")
	if len(msgs) != 1 {
		t.Fatalf("alice got %+v", msgs)
	}
	re := msgs[0]
	if re.InReplyTo != id || len(re.References) != 1 || re.References[0] != id || re.Subject != "Re: shall we ship?" {
		t.Errorf("reply: in_reply_to %q references %q subject %q", re.InReplyTo, re.References, re.Subject)
	}
	raw, err := os.ReadFile(re.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"In-Reply-To: <" + id + "@", "References: <" + id + "@", "Subject: Re: shall we ship?"} {
		if !strings.Contains(string(raw), h) {
			t.Errorf("reply file lacks %q:\n%s", h, raw)
		}
	}
	// The original, read, is flagged replied (R) and seen (S) in bob's cur/.
	if fs, _ := filepath.Glob(w.mailDir("bob", "cur") + "/*R" + id + "*:2,RS"); len(fs) != 1 {
		t.Errorf("original not flagged replied: %v", filesIn(t, w.mailDir("bob", "cur")))
	}
	if _, err := exec.LookPath("mshow"); err == nil {
		out := mblaze(t, w, "mshow", re.Path)
		for _, s := range []string{"From: bob@", "To: alice@", "Subject: Re: shall we ship?", "yes, ship it"} {
			if !strings.Contains(out, s) {
				t.Errorf("mshow lacks %q:\n%s", s, out)
			}
		}
	} else {
		t.Logf("mshow is not installed: not checked with it")
	}

	// A reply to the reply extends References.
	w.ok("--as", "alice", "reply", re.ID, "shipped")
	if msgs = w.messages("bob"); len(msgs) != 1 || strings.Join(msgs[0].References, " ") != id+" "+re.ID {
		t.Errorf("second reply: %+v", msgs)
	}
	w.fails(3, []string{"no message"}, "--as", "bob", "reply", "abcdef", "x")

}

// TestRenameForward renames a name and follows its mail.
func TestRenameForward(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, n := range []string{"alice", "bob", "carol"} {
		w.ok("register", n)
	}
	w.ok("--as", "bob", "send", "alice", "before the rename")
	r := w.with("IPC_NAME=alice").ok("rename", "al")
	if !regexp.MustCompile(`^Renamed alice to al\. Mail to alice is forwarded until (?:[A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d \(2 h\)\. Use --as al from now on\.\n`).MatchString(r.out) ||
		!strings.Contains(r.out, "export IPC_NAME=al") {
		t.Errorf("rename said %q", r.out)
	}
	r = w.ok("--as", "bob", "send", "alice", "after the rename")
	if !strings.HasPrefix(r.out, "forwarded from alice to al (id ") {
		t.Errorf("send to the old name said %q", r.out)
	}
	msgs := w.messages("al")
	if len(msgs) != 2 || msgs[0].Body != "before the rename" || msgs[1].Body != "after the rename" {
		t.Errorf("al got %+v", msgs)
	}
	if notice := w.messages("carol"); len(notice) != 1 || !strings.Contains(notice[0].Body, "alice renamed to al") {
		t.Errorf("carol's notice: %+v", notice)
	}
	if r = w.ok("list"); !regexp.MustCompile(`alice\s+offline\s+0\s+.*→ al until \d\d:\d\d`).MatchString(r.out) {
		t.Errorf("list:\n%s", r.out)
	}
	w.fails(3, []string{"rename again in"}, "--as", "al", "rename", "albert")

	// A name another live process holds is renamed from that process.
	h := w.holdName("bob")
	w.fails(3, []string{fmt.Sprint(h.pid), "rename from that session"}, "--as", "bob", "rename", "robert")
	w.fails(2, []string{"invalid name"}, "--as", "carol", "rename", "no spaces")
}

// TestRegisterHeld refuses a name while another process holds it, and
// frees it when that process dies.
func TestRegisterHeld(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h := w.holdName("alice")
	w.fails(3, []string{fmt.Sprintf("held by live process %d", h.pid)}, "register", "alice")
	if r := w.ok("list"); !strings.Contains(r.out, fmt.Sprintf("online pid %d", h.pid)) {
		t.Errorf("list:\n%s", r.out)
	}
	var st struct{ Online []string }
	w.checkJSON(&st, "status")
	if len(st.Online) != 1 || st.Online[0] != "alice" {
		t.Errorf("status online = %v", st.Online)
	}
	h.kill()
	if r := w.ok("register", "alice"); !strings.HasPrefix(r.out, "Registered alice.") {
		t.Errorf("register after the holder died: %q", r.out)
	}
	if r := w.ok("list"); !regexp.MustCompile(`alice\s+offline`).MatchString(r.out) {
		t.Errorf("list after: %s", r.out)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	limited := w.with("IPC_RATE_LIMIT=3")
	for i := 0; i < 3; i++ {
		limited.ok("--as", "alice", "send", "bob", fmt.Sprint("message ", i))
	}
	limited.fails(3, []string{"rate limited", "retry in"}, "--as", "alice", "send", "bob", "one too many")
	if n := len(filesIn(t, w.mailDir("bob", "new"))); n != 3 {
		t.Errorf("bob has %d messages, want 3", n)
	}
	// Another sender has its own budget; 0 turns the limit off.
	limited.ok("--as", "carol", "send", "bob", "from carol")
	off := w.with("IPC_RATE_LIMIT=0")
	for i := 0; i < 5; i++ {
		off.ok("--as", "alice", "send", "bob", fmt.Sprint("unlimited ", i))
	}
	if r := w.with("IPC_RATE_LIMIT=lots").run("--as", "alice", "send", "bob", "x"); r.code == 0 || !strings.Contains(r.err, "IPC_RATE_LIMIT") {
		t.Errorf("a bad IPC_RATE_LIMIT: %s", r)
	}
}

func TestQuota(t *testing.T) {
	t.Parallel()
	w := newWorld(t).with("IPC_MAX_UNREAD=2")
	w.ok("--as", "alice", "send", "bob", "one")
	w.ok("--as", "alice", "send", "bob", "two")
	w.fails(3, []string{"mailbox full", "bob has 2 unread"}, "--as", "alice", "send", "bob", "three")
	// A list with a full mailbox in it delivers to the others and fails.
	r := w.run("--as", "alice", "send", "bob,carol", "to both")
	if r.code != 3 || !strings.Contains(r.out, "queued for carol") {
		t.Errorf("partial send: %s", r)
	}
	if msgs := w.messages("bob"); len(msgs) != 2 {
		t.Fatalf("bob read %d", len(msgs))
	}
	w.ok("--as", "alice", "send", "bob", "three, once bob has read")
}

// TestLargeMessage sends 20 KiB through stdin.
func TestLargeMessage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var b strings.Builder
	for i := 0; b.Len() < 20<<10; i++ {
		fmt.Fprintf(&b, "line %05d of the long report\n", i)
	}
	body := b.String()[:20<<10]
	r := w.okIn(body, "--as", "alice", "send", "bob", "-")
	m := regexp.MustCompile(`full text is saved in (\S+)`).FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("send did not say where the text went: %q", r.out)
	}
	large := m[1]
	if filepath.Dir(large) != filepath.Join(w.home, "large") {
		t.Errorf("large file %s is not in large/", large)
	}
	fi, err := os.Stat(large)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("large file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(large)
	head, rest, _ := strings.Cut(string(raw), "\n\n")
	if !regexp.MustCompile(`^From: alice\nTo: bob\nTime: \S+\nSize: 20480 bytes$`).MatchString(head) {
		t.Errorf("large file header:\n%s", head)
	}
	if rest != body {
		t.Errorf("large file body differs from what was sent (%d bytes, want %d)", len(rest), len(body))
	}
	msgs := w.messages("bob")
	if len(msgs) != 1 {
		t.Fatalf("bob got %d messages", len(msgs))
	}
	got := msgs[0]
	if got.LargeFile != large || got.LargeSize != 20480 || !strings.Contains(got.Body, large) ||
		!strings.HasPrefix(got.Body, "line 00000 of the long report\n") || len(got.Body) > 2048 {
		t.Errorf("message: large_file %q size %d body %d bytes:\n%.300s", got.LargeFile, got.LargeSize, len(got.Body), got.Body)
	}
	if fi, _ := os.Stat(got.Path); fi.Size() > 4096 {
		t.Errorf("the message file holds %d bytes; the text should be in large/", fi.Size())
	}
}

func TestShareFile(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.md")
	text := "# plan\nhéllo ✓\nstep 2\n"
	if err := os.WriteFile(notes, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	w.ok("--as", "alice", "share-file", "bob", notes, "--description", "the plan")
	msgs := w.messages("bob")
	if len(msgs) != 1 {
		t.Fatalf("bob got %+v", msgs)
	}
	var d map[string]any
	if err := json.Unmarshal(msgs[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "file", "path": notes, "description": "the plan", "size": float64(len(text))}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("data.%s = %v, want %v", k, d[k], v)
		}
	}
	if msgs[0].Body != text {
		t.Errorf("body %q, want the file", msgs[0].Body)
	}

	// Over 10 KiB the large-message rule applies.
	big := filepath.Join(dir, "big.txt")
	os.WriteFile(big, []byte(strings.Repeat("0123456789abcdef\n", 1000)), 0o644)
	w.ok("--as", "alice", "share-file", "bob", big)
	if msgs = w.messages("bob"); len(msgs) != 1 || msgs[0].LargeSize != 17000 || msgs[0].LargeFile == "" {
		t.Errorf("big file: %+v", msgs)
	}

	// Only regular text files.
	fifo := filepath.Join(dir, "fifo")
	if err := testkit.Mkfifo(fifo); errors.Is(err, errors.ErrUnsupported) {
		t.Skip("no FIFOs on this system")
	} else if err != nil {
		t.Fatal(err)
	}
	os.Symlink(dir, filepath.Join(dir, "link-to-dir"))
	os.WriteFile(filepath.Join(dir, "bin"), []byte{0x7f, 'E', 'L', 'F', 0, 0xff, 0xfe}, 0o644)
	for path, why := range map[string]string{
		dir:                               "a directory",
		"/dev/null":                       "a character device",
		fifo:                              "a FIFO",
		filepath.Join(dir, "link-to-dir"): "a directory",
		filepath.Join(dir, "bin"):         "binary",
		filepath.Join(dir, "missing"):     "no such file",
	} {
		w.fails(2, []string{why}, "--as", "alice", "share-file", "bob", path)
	}
	if n := w.allNew(); len(n) != 0 {
		t.Errorf("refused shares delivered %q", n)
	}
}

func TestShareCommand(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	type cmdData struct {
		Type, Command, Stdout, Stderr, Description string
		ExitCode                                   int  `json:"exit_code"`
		TimedOut                                   bool `json:"timed_out"`
	}
	share := func(args ...string) (cmdData, string) {
		t.Helper()
		w.ok(append([]string{"--as", "alice", "share-command", "bob"}, args...)...)
		msgs := w.messages("bob")
		if len(msgs) != 1 {
			t.Fatalf("bob got %d messages", len(msgs))
		}
		var d cmdData
		if err := json.Unmarshal(msgs[0].Data, &d); err != nil {
			t.Fatal(err)
		}
		return d, msgs[0].Body
	}

	d, body := share("-d", "both streams", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
	want := cmdData{Type: "command", Command: `sh -c 'echo out; echo err >&2; exit 3'`, Stdout: "out\n", Stderr: "err\n",
		Description: "both streams", ExitCode: 3}
	if d != want {
		t.Errorf("data = %+v\nwant %+v", d, want)
	}
	for _, s := range []string{"exit code 3", "--- stdout ---\nout\n", "--- stderr ---\nerr\n", "both streams"} {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q:\n%s", s, body)
		}
	}

	d, _ = share(`printf '%s|' 'a b' "c d" e\ f`)
	if d.Stdout != "a b|c d|e f|" || d.ExitCode != 0 {
		t.Errorf("one-string command: %+v", d)
	}

	d, body = share("--timeout", "1s", "--", "sleep", "5")
	if !d.TimedOut || !strings.Contains(body, "timed out after 1s") {
		t.Errorf("timeout: %+v\n%s", d, body)
	}

	w.fails(2, []string{"shell syntax"}, "--as", "alice", "share-command", "bob", "ls | wc -l")
	w.fails(2, []string{"not found", "nothing was sent"}, "--as", "alice", "share-command", "bob", "--", "no-such-command-here")
	if n := w.allNew(); len(n) != 0 {
		t.Errorf("refused commands delivered %q", n)
	}
}

// TestBadInput checks that every refusal exits with the right code, says
// so in one line, and delivers nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	open := filepath.Join(t.TempDir(), "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		has  string
	}{
		{"invalid recipient", nil, []string{"--as", "alice", "send", "bob smith", "hi"}, 2, "invalid name"},
		{"invalid sender", nil, []string{"--as", "al/ice", "send", "bob", "hi"}, 2, "invalid name"},
		{"name too long", nil, []string{"register", strings.Repeat("x", 33)}, 2, "1 to 32"},
		{"empty message", nil, []string{"--as", "alice", "send", "bob", ""}, 2, "empty message"},
		{"no message", nil, []string{"--as", "alice", "send", "bob"}, 2, "empty message"},
		{"who are you", nil, []string{"send", "bob", "hi"}, 2, "--as NAME"},
		{"unknown flag", nil, []string{"--as", "alice", "send", "--urgent", "bob", "hi"}, 2, "unknown flag"},
		{"unknown command", nil, []string{"sned", "bob", "hi"}, 2, `did you mean "send"`},
		{"data not an object", nil, []string{"--as", "alice", "send", "bob", "hi", "--data", `["a"]`}, 2, "JSON object"},
		{"data not JSON", nil, []string{"--as", "alice", "send", "bob", "hi", "--data", `{oops`}, 2, "not valid JSON"},
		{"do, recipient unclear", nil, []string{"--as", "alice", "do", "msg bad name!: hi"}, 2, "cannot tell the recipient"},
		{"too many args", nil, []string{"register", "a", "b"}, 2, `register takes one NAME, got "a" "b"`},
		{"spool is a file", []string{"IPC_HOME=" + notDir}, []string{"--as", "alice", "send", "bob", "hi"}, 4, "not a directory"},
		{"spool open to all", []string{"IPC_HOME=" + open}, []string{"--as", "alice", "send", "bob", "hi"}, 4, "chmod 700"},
		{"spool open to all, check", []string{"IPC_HOME=" + open}, []string{"--as", "bob", "check"}, 4, "chmod 700"},
		// A client that starts ipc mcp (claude mcp list) shows its stderr:
		// the reason must be there, in one line.
		{"spool open to all, mcp", []string{"IPC_HOME=" + open}, []string{"--as", "alice", "mcp"}, 4, "chmod 700"},
		{"spool is a file, mcp", []string{"IPC_HOME=" + notDir}, []string{"mcp"}, 4, "not a directory"},
	}
	w := newWorld(t)
	w.ok("register", "bob")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ww := w.with(tt.env...)
			ww.t = t
			ww.fails(tt.code, []string{tt.has}, tt.args...)
		})
	}
	if n := w.allNew(); len(n) != 0 {
		t.Errorf("bad input delivered %q", n)
	}
	if fs, _ := filepath.Glob(filepath.Join(open, "*")); len(fs) != 0 {
		t.Errorf("an unsafe spool was written to: %q", fs)
	}
}
