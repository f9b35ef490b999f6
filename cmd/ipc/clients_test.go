package main

// The real clients, installed from npm and driven by a fake model: the
// harness of claude_test.go and gemini_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/fakemodel"
	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/internal/testkit"
)

// The client releases the tests drive, pinned so that a new release cannot
// change what the tests see without a change here.
const (
	claudePackage = "@anthropic-ai/claude-code@2.1.332"
	geminiPackage = "@google/gemini-cli@0.61.0"
)

// npmCache is where the clients are installed, once for every run:
// $IPC_TEST_CACHE, else the user's cache directory.
func npmCache(t *testing.T) string {
	if d := os.Getenv("IPC_TEST_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "ipc-test", "npm")
}

var installMu sync.Mutex

// npmBin returns the path of the command bin of pkg (name@version),
// installing it into the cache when it is not there yet. Only a registry
// that cannot be reached (or no npm) skips; a broken install fails.
func npmBin(t *testing.T, pkg, bin string) string {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	dir := filepath.Join(npmCache(t), strings.NewReplacer("/", "+", "@", "").Replace(pkg))
	path := filepath.Join(dir, "node_modules", ".bin", bin)
	if fileExists(path) && fileExists(filepath.Join(dir, ".complete")) {
		return path
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		testkit.SkipEnv(t, "npm is not installed, so %s cannot be installed: %v", pkg, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	// Test binaries of several packages may install at once: each into a
	// directory of its own, renamed into place whole; the first one wins.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", tmp, pkg)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if unreachable(out.String()) {
			testkit.SkipEnv(t, "the npm registry cannot be reached to install %s: %v\n%s", pkg, err, out.String())
		}
		t.Fatalf("npm install %s: %v\n%s", pkg, err, out.String())
	}
	if !fileExists(filepath.Join(tmp, "node_modules", ".bin", bin)) {
		t.Fatalf("npm install %s made no %s\n%s", pkg, bin, out.String())
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir) // an install that never completed
	if err := os.Rename(tmp, dir); err != nil && !fileExists(filepath.Join(dir, ".complete")) {
		t.Fatal(err)
	}
	return path
}

// unreachable tells npm's network failures from other ones.
func unreachable(out string) bool {
	for _, s := range []string{"ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH", "network"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// readmeBlock returns the first fenced block of kind (json, sh) that
// follows the heading in README.md, so the tests set clients up exactly as
// the README tells people to.
func readmeBlock(t *testing.T, heading, kind string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no heading %q", heading)
	}
	s = s[i:]
	j := strings.Index(s, "```"+kind+"\n")
	if j < 0 {
		t.Fatalf("README.md has no ```%s block after %q", kind, heading)
	}
	s = s[j+len(kind)+4:]
	return s[:strings.Index(s, "```")]
}

// tmux is a private tmux server with one session running a program.
type tmux struct {
	t    *testing.T
	sock string
}

// startTmux runs argv in a new 200×50 tmux session on a server of its own,
// with env as the whole environment, in dir.
func startTmux(t *testing.T, dir string, env, argv []string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		testkit.SkipEnv(t, "tmux is not installed (make test installs it): %v", err)
	}
	tm := &tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	shellCmd := "exec env -i " + shellQuote(append(env, argv...))
	tm.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "200", "-y", "50", "-c", dir, shellCmd)
	pid := atoiOr(strings.TrimSpace(tm.run("display-message", "-p", "-t", "main", "#{pane_pid}")))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screen at the end:\n%s", tm.screen())
		}
		_ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run()
		// The program and what it started may still write to the test's
		// folders for a moment.
		waitUntil(10*time.Second, func() bool { return !platform.Alive(pid) })
	})
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen returns what the session shows now.
func (tm *tmux) screen() string {
	out, _ := exec.Command("tmux", "-S", tm.sock, "capture-pane", "-p", "-t", "main").CombinedOutput()
	return string(out)
}

// waitScreen waits until the screen matches re.
func (tm *tmux) waitScreen(re string, limit time.Duration) bool {
	rx := regexp.MustCompile(re)
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if rx.MatchString(tm.screen()) {
			return true
		}
	}
	return false
}

// typeLine types text and presses Enter.
func (tm *tmux) typeLine(text string) {
	tm.t.Helper()
	tm.run("send-keys", "-t", "main", "-l", text)
	time.Sleep(300 * time.Millisecond) // the input box takes a paste as one
	tm.run("send-keys", "-t", "main", "Enter")
}

// writeJSONFile writes v as JSON to path, making its directory.
func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startModel starts a fake model answering with script.
func startModel(t *testing.T, script fakemodel.Script) *fakemodel.Server {
	t.Helper()
	m, err := fakemodel.Start(script)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
