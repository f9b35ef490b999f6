package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeHTTPLineWithClaude runs the README's 'claude mcp add
// --transport http' line, exactly as written but for the port, against a
// running 'ipc mcp --http', with the real Claude Code, and holds that
// 'claude mcp list' then reports the server connected: the line's token
// path and header are the ones the server wants.
func TestReadmeHTTPLineWithClaude(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	base := filepath.Dir(w.home)
	w.home = filepath.Join(base, ".claude-ipc-data") // the README's default spool
	w = w.with("IPC_HOME=" + w.home)
	line := readmeHTTPLine(t)
	const readmeURL = "http://127.0.0.1:7777/mcp"
	if !strings.Contains(line, readmeURL) {
		t.Fatalf("README's HTTP line does not use %s: %q", readmeURL, line)
	}
	_, url, _ := w.mcpHTTPProc()
	line = strings.Replace(line, readmeURL, url, 1)

	claude := npmBin(t, claudePackage, "claude")
	writeJSONFile(t, filepath.Join(base, ".claude.json"), map[string]any{"hasCompletedOnboarding": true})
	env := append(w.env, "PATH="+filepath.Dir(claude)+":"+os.Getenv("PATH"), "DISABLE_AUTOUPDATER=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1")
	add := exec.Command("sh", "-c", line)
	add.Env, add.Dir = env, base
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("the README's line %q: %v\n%s", line, err, out)
	}
	list := exec.Command(claude, "mcp", "list")
	list.Env, list.Dir = env, base
	out, _ := list.CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "ipc: ") && strings.Contains(l, url) && strings.Contains(l, "Connected") {
			return
		}
	}
	t.Errorf("claude mcp list does not show ipc connected over HTTP after the README's line:\n%s", out)
}

// readmeHTTPLine returns the README's sh block that adds ipc over HTTP to
// Claude Code, its continuation lines joined as sh would.
func readmeHTTPLine(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start = "```sh\nclaude mcp add --transport http "
	s := string(b)
	i := strings.Index(s, start)
	if i < 0 {
		t.Fatalf("README.md has no %q block", start)
	}
	s = s[i+len("```sh\n"):]
	s = s[:strings.Index(s, "```")]
	return strings.TrimSpace(strings.ReplaceAll(s, "\\\n", " "))
}
