package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// contractWorld is the spool a row of TestContract runs against.
type contractWorld int

const (
	noSpool  contractWorld = iota // no spool at IPC_HOME yet
	withMail                      // alice, bob and carol registered; bob has one unread from alice
	unsafe                        // withMail, then the spool opened to the group (mode 0750)
	rateOne                       // withMail under {"rate_limit": 1}: alice has sent her one
	quotaOne                      // withMail under {"max_unread": 1}: bob's one unread fills it
)

// setUp makes w under a fresh IPC_HOME and returns the environment.
func (w contractWorld) setUp(t *testing.T) map[string]string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "spool")
	env := map[string]string{"IPC_HOME": home, "HOME": filepath.Dir(home)}
	if w == noSpool {
		return env
	}
	for _, args := range [][]string{{"register", "alice"}, {"register", "bob"}, {"register", "carol"}, {"--as", "alice", "send", "bob", "hello bob"}} {
		if r := runIPC(t, env, "", args...); r.code != 0 {
			t.Fatalf("set-up %v: %+v", args, r)
		}
	}
	switch w {
	case unsafe:
		if err := os.Chmod(home, 0o750); err != nil {
			t.Fatal(err)
		}
	case rateOne, quotaOne:
		cfg := map[contractWorld]string{rateOne: `{"rate_limit": 1}`, quotaOne: `{"max_unread": 1}`}[w]
		if err := os.WriteFile(filepath.Join(home, "config.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// contractRow is one command and one way it ends.
type contractRow struct {
	cmd   string // the command (path below ipc) the row holds to its contract
	why   string // what happens: "ok" or the failure
	world contractWorld
	stdin string
	args  []string
	code  int
}

// contractRows lists, for every command, how it ends: at least a usage
// mistake each, and the failures it can meet (no name, an unknown name or
// id, a timeout, an unsafe spool, a limit). Long-running commands (watch,
// daemon, mcp, ui, bridge) appear only with the failures that end them at
// once; their signals are held by the process tests (cmd/ipc TestSignalExits).
func contractRows() []contractRow {
	alice := []string{"--as", "alice"}
	bob := []string{"--as", "bob"}
	as := func(who []string, args ...string) []string { return append(append([]string(nil), who...), args...) }
	return []contractRow{
		{"register", "ok", withMail, "", []string{"register", "dave"}, ExitOK},
		{"register", "usage", noSpool, "", []string{"register"}, ExitUsage},
		{"register", "bad name", noSpool, "", []string{"register", "bad name!"}, ExitUsage},
		{"register", "unsafe", unsafe, "", []string{"register", "dave"}, ExitSpool},

		{"send", "ok", withMail, "", as(alice, "send", "bob", "hi"), ExitOK},
		{"send", "queued", withMail, "", as(alice, "send", "nobody-yet", "hi"), ExitOK},
		{"send", "usage", withMail, "", as(alice, "send", "bob"), ExitUsage},
		{"send", "unknown flag", withMail, "", as(alice, "send", "bob", "--bogus", "hi"), ExitUsage},
		{"send", "bad name", withMail, "", as(alice, "send", "bad name!", "hi"), ExitUsage},
		{"send", "who are you", withMail, "", []string{"send", "bob", "hi"}, ExitUsage},
		{"send", "unsafe", unsafe, "", as(alice, "send", "bob", "hi"), ExitSpool},
		{"send", "over the rate", rateOne, "", as(alice, "send", "bob", "again"), ExitRefused},
		{"send", "over the quota", quotaOne, "", as(alice, "send", "bob", "more"), ExitRefused},
		{"send", "bad data", withMail, "", as(alice, "send", "bob", "--data", "[1]", "hi"), ExitUsage},
		{"send", "empty stdin", withMail, "", as(alice, "send", "bob", "-"), ExitUsage},
		{"send", "wait-for timeout", withMail, "", as(alice, "send", "bob", "--wait-for", "read", "--timeout", "20ms", "hi"), ExitTimeout},
		{"send", "wait-for timeout before the watch starts", withMail, "", as(alice, "send", "bob", "--wait-for", "read", "--timeout", "1ns", "hi"), ExitTimeout},

		{"reply", "usage", withMail, "", as(bob, "reply"), ExitUsage},
		{"reply", "unknown id", withMail, "", as(bob, "reply", "0123456789ab", "hi"), ExitRefused},
		{"reply", "who are you", withMail, "", []string{"reply", "0123456789ab", "hi"}, ExitUsage},
		{"reply", "unsafe", unsafe, "", as(bob, "reply", "0123456789ab", "hi"), ExitSpool},

		{"broadcast", "ok", withMail, "", as(alice, "broadcast", "all hands"), ExitOK},
		{"broadcast", "usage", withMail, "", as(alice, "broadcast"), ExitUsage},
		{"broadcast", "who are you", withMail, "", []string{"broadcast", "hi"}, ExitUsage},
		{"broadcast", "unsafe", unsafe, "", as(alice, "broadcast", "hi"), ExitSpool},

		{"check", "ok", withMail, "", as(bob, "check"), ExitOK},
		{"check", "empty", withMail, "", as(alice, "check"), ExitOK},
		{"check", "no spool", noSpool, "", as(bob, "check"), ExitOK},
		{"check", "usage", withMail, "", as(bob, "check", "extra"), ExitUsage},
		{"check", "who are you", withMail, "", []string{"check"}, ExitUsage},
		{"check", "unsafe", unsafe, "", as(bob, "check"), ExitSpool},

		{"wait", "ok", withMail, "", as(bob, "wait", "--timeout", "5s"), ExitOK},
		{"wait", "timeout", withMail, "", as(alice, "wait", "--timeout", "20ms"), ExitTimeout},
		{"wait", "usage", withMail, "", as(bob, "wait", "extra"), ExitUsage},
		{"wait", "who are you", withMail, "", []string{"wait", "--timeout", "20ms"}, ExitUsage},
		{"wait", "unsafe", unsafe, "", as(bob, "wait", "--timeout", "20ms"), ExitSpool},

		{"watch", "usage", withMail, "", as(bob, "watch", "extra"), ExitUsage},
		{"watch", "who are you", withMail, "", []string{"watch"}, ExitUsage},
		{"watch", "unsafe", unsafe, "", as(bob, "watch"), ExitSpool},

		{"list", "ok", withMail, "", []string{"list"}, ExitOK},
		{"list", "no spool", noSpool, "", []string{"list"}, ExitOK},
		{"list", "usage", withMail, "", []string{"list", "a", "b"}, ExitUsage},
		{"list", "unsafe", unsafe, "", []string{"list"}, ExitSpool},

		{"rename", "ok", withMail, "", as(carol(), "rename", "carol2"), ExitOK},
		{"rename", "usage", withMail, "", as(carol(), "rename"), ExitUsage},
		{"rename", "bad name", withMail, "", as(carol(), "rename", "bad name!"), ExitUsage},
		{"rename", "name taken", withMail, "", as(carol(), "rename", "bob"), ExitRefused},
		{"rename", "who are you", withMail, "", []string{"rename", "x"}, ExitUsage},
		{"rename", "unsafe", unsafe, "", as(carol(), "rename", "carol2"), ExitSpool},

		{"forget", "ok", withMail, "", []string{"forget", "carol"}, ExitOK},
		{"forget", "usage", withMail, "", []string{"forget"}, ExitUsage},
		{"forget", "unknown name", withMail, "", []string{"forget", "nobody"}, ExitRefused},
		{"forget", "unsafe", unsafe, "", []string{"forget", "carol"}, ExitSpool},

		{"share-file", "ok", withMail, "", as(alice, "share-file", "bob", "contract_test.go"), ExitOK},
		{"share-file", "usage", withMail, "", as(alice, "share-file", "bob"), ExitUsage},
		{"share-file", "no such file", withMail, "", as(alice, "share-file", "bob", "no-such-file"), ExitUsage},
		{"share-file", "who are you", withMail, "", []string{"share-file", "bob", "contract_test.go"}, ExitUsage},
		{"share-file", "unsafe", unsafe, "", as(alice, "share-file", "bob", "contract_test.go"), ExitSpool},

		{"share-command", "ok", withMail, "", as(alice, "share-command", "bob", "--", "echo", "hi"), ExitOK},
		{"share-command", "usage", withMail, "", as(alice, "share-command", "bob"), ExitUsage},
		{"share-command", "who are you", withMail, "", []string{"share-command", "bob", "--", "echo"}, ExitUsage},
		{"share-command", "unsafe", unsafe, "", as(alice, "share-command", "bob", "--", "echo", "hi"), ExitSpool},

		{"auto-check", "ok", withMail, "", as(bob, "auto-check", "start", "5"), ExitOK},
		{"auto-check", "status", withMail, "", as(bob, "auto-check", "status"), ExitOK},
		{"auto-check", "usage", withMail, "", as(bob, "auto-check", "sometimes"), ExitUsage},
		{"auto-check", "who are you", withMail, "", []string{"auto-check", "status"}, ExitUsage},
		{"auto-check", "unsafe", unsafe, "", as(bob, "auto-check", "start"), ExitSpool},

		// A hook never exits 2 for its own mistakes: Claude Code takes 2 as "block".
		{"hook", "ok", withMail, `{"session_id":"s1"}`, as(bob, "hook", "UserPromptSubmit"), ExitOK},
		{"hook", "no name", withMail, `{}`, []string{"hook", "UserPromptSubmit"}, ExitOK},
		{"hook", "usage", withMail, "", as(bob, "hook"), ExitRefused},
		{"hook", "unknown flag", withMail, "", as(bob, "hook", "Stop", "--bogus"), ExitRefused},

		{"daemon", "usage", withMail, "", []string{"daemon", "extra"}, ExitUsage},
		{"daemon", "unsafe", unsafe, "", []string{"daemon"}, ExitSpool},

		{"mcp", "usage", withMail, "", []string{"mcp", "extra"}, ExitUsage},
		{"mcp", "unsafe", unsafe, "", []string{"mcp"}, ExitSpool},

		{"do", "ok", withMail, "", as(bob, "do", "check messages"), ExitOK},
		{"do", "usage", withMail, "", as(bob, "do"), ExitUsage},
		{"do", "unparsable", withMail, "", as(bob, "do", "msg bad name!: hi"), ExitUsage},
		{"do", "who are you", withMail, "", []string{"do", "check messages"}, ExitUsage},
		{"do", "unsafe", unsafe, "", as(bob, "do", "check messages"), ExitSpool},

		{"status", "ok", withMail, "", []string{"status"}, ExitOK},
		{"status", "no spool", noSpool, "", []string{"status"}, ExitOK},
		{"status", "unknown id", withMail, "", []string{"status", "0123456789ab"}, ExitRefused},
		{"status", "usage", withMail, "", []string{"status", "a", "b"}, ExitUsage},
		{"status", "unsafe", unsafe, "", []string{"status"}, ExitSpool},

		{"doctor", "ok or not", withMail, "", []string{"doctor"}, -1}, // depends on the machine
		{"doctor", "usage", withMail, "", []string{"doctor", "extra"}, ExitUsage},
		{"doctor", "unsafe", unsafe, "", []string{"doctor"}, ExitRefused},

		{"whoami", "ok", withMail, "", as(bob, "whoami"), ExitOK},
		{"whoami", "who are you", withMail, "", []string{"whoami"}, ExitUsage},
		{"whoami", "bad name", withMail, "", []string{"--as", "bad name!", "whoami"}, ExitUsage},
		{"whoami", "usage", withMail, "", []string{"whoami", "extra"}, ExitUsage},

		{"search", "ok", withMail, "", []string{"search", "hello"}, ExitOK},
		{"search", "nothing found", withMail, "", []string{"search", "zanzibar"}, ExitOK},
		{"search", "usage", withMail, "", []string{"search"}, ExitUsage},
		{"search", "bad query", withMail, "", []string{"search", "after:someday"}, ExitUsage},
		{"search", "unsafe", unsafe, "", []string{"search", "hello"}, ExitSpool},

		{"ui", "usage", withMail, "", []string{"ui", "extra"}, ExitUsage},
		{"ui", "unsafe", unsafe, "", []string{"ui"}, ExitSpool},

		{"bridge", "usage", withMail, "", []string{"bridge"}, ExitUsage},
		{"bridge", "unsafe", unsafe, "", []string{"bridge", "--nats", "nats://127.0.0.1:1"}, ExitSpool},

		{"imap", "usage", withMail, "", []string{"imap", "extra"}, ExitUsage},
		{"imap", "bad port", withMail, "", []string{"imap", "--port", "70000"}, ExitUsage},
		{"imap", "no dovecot", withMail, "", []string{"imap", "--dovecot", "/nonexistent/dovecot"}, ExitRefused},
		{"imap", "unsafe", unsafe, "", []string{"imap", "--dovecot", "/nonexistent/dovecot"}, ExitSpool},

		{"sendmail", "ok", withMail, "Subject: s\n\nbody\n", as(alice, "sendmail", "bob"), ExitOK},
		{"sendmail", "usage", withMail, "Subject: s\n\nbody\n", as(alice, "sendmail"), ExitUsage},
		{"sendmail", "unsafe", unsafe, "Subject: s\n\nbody\n", as(alice, "sendmail", "bob"), ExitSpool},

		{"completion", "ok", noSpool, "", []string{"completion", "bash"}, ExitOK},
		{"completion", "usage", noSpool, "", []string{"completion", "tcsh"}, ExitUsage},
		{"", "unknown command", noSpool, "", []string{"chek"}, ExitUsage},
		{"", "unknown flag", noSpool, "", []string{"--bogus", "list"}, ExitUsage},
	}
}

func carol() []string { return []string{"--as", "carol"} }

// TestContract holds every command to the exit codes README.md and
// 'ipc --help' give, and to --json's promise: stdout is valid JSON, the
// command's own on success and {"error": {"code", "kind", "message"}}
// (code = the exit code) when it failed before printing any. A failure
// is one line on stderr.
func TestContract(t *testing.T) {
	rows := contractRows()
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.cmd] = true
	}
	for _, c := range NewRootCmd(NewApp()).Commands() {
		if c.Name() != "help" && !covered[c.Name()] {
			t.Errorf("command %q has no row in contractRows", c.Name())
		}
	}
	for _, row := range rows {
		t.Run(strings.TrimSpace(row.cmd+" "+row.why), func(t *testing.T) {
			t.Parallel()
			plain := runIPC(t, row.world.setUp(t), row.stdin, row.args...)
			if row.code >= 0 && plain.code != row.code {
				t.Fatalf("ipc %q: exit %d, want %d\nstdout %q\nstderr %q", row.args, plain.code, row.code, plain.out, plain.err)
			}
			if plain.code != 0 && plain.out == "" {
				checkFailureLine(t, plain.err)
			}
			js := runIPC(t, row.world.setUp(t), row.stdin, append([]string{"--json"}, row.args...)...)
			want := plain.code
			if row.cmd == "sendmail" {
				want = ExitUsage // sendmail's output is sendmail's: it refuses --json
			}
			if js.code != want {
				t.Errorf("with --json: exit %d, want %d", js.code, want)
			}
			checkJSONOut(t, row, js)
		})
	}
}

// checkFailureLine checks that stderr says a failure in one line of its
// own ("ipc: …", "ipc hook: …").
func checkFailureLine(t *testing.T, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "ipc") {
		t.Errorf("stderr is not one 'ipc: ' line: %q", stderr)
	}
}

// checkJSONOut checks what ipc --json printed on stdout for row.
func checkJSONOut(t *testing.T, row contractRow, r result) {
	t.Helper()
	switch row.cmd {
	case "completion": // a shell script, whatever --json says
		return
	case "hook", "mcp": // stdout is the client's: never an error object there
		if r.code != 0 && r.out != "" {
			t.Errorf("--json %s failed and printed %q on stdout", row.cmd, r.out)
		}
		return
	}
	if strings.TrimSpace(r.out) == "" {
		t.Fatalf("--json printed nothing on stdout (exit %d, stderr %q)", r.code, r.err)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(r.out))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("--json stdout is not JSON: %v\n%s", err, r.out)
	}
	if dec.More() {
		t.Errorf("--json stdout holds more than one JSON value:\n%s", r.out)
	}
	var eo struct {
		Error *errorBody `json:"error"`
	}
	isErr := json.Unmarshal([]byte(r.out), &eo) == nil && eo.Error != nil
	switch {
	case r.code == 0 && isErr:
		t.Errorf("exit 0 with an error object: %s", r.out)
	case isErr && (eo.Error.Code != r.code || eo.Error.Kind != exitKinds[r.code] || eo.Error.Message == ""):
		t.Errorf("error object %+v for exit %d", *eo.Error, r.code)
	case isErr && !bytes.Contains([]byte(r.err), []byte(eo.Error.Message)):
		t.Errorf("error object says %q, stderr %q: one wording", eo.Error.Message, r.err)
	}
}
