package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctor runs ipc doctor as a user would: on a fresh machine it exits
// 3 with a line and a fix per failing check and creates no spool; --json
// is an array of {check, ok, detail, fix}; an open spool is named with
// its chmod.
func TestDoctor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("doctor")
	if r.code != 3 {
		t.Fatalf("doctor on a fresh machine: want exit 3, got %s", r)
	}
	for _, line := range strings.Split(strings.TrimSuffix(r.out, "\n"), "\n") {
		if !strings.HasPrefix(line, "ok   ") && !(strings.HasPrefix(line, "FIX  ") && strings.Contains(line, "; fix: ")) {
			t.Errorf("doctor line neither ok nor FIX with a fix: %q", line)
		}
	}
	if !strings.Contains(r.out, "FIX  spool: no spool at "+w.home) {
		t.Errorf("doctor does not say the spool is missing:\n%s", r.out)
	}
	if fileExists(w.home) {
		t.Errorf("doctor created the spool %s", w.home)
	}

	var rs []struct {
		Check  string `json:"check"`
		OK     *bool  `json:"ok"`
		Detail string `json:"detail"`
		Fix    string `json:"fix"`
	}
	r = w.run("--json", "doctor")
	if r.code != 3 {
		t.Fatalf("doctor --json: want exit 3, got %s", r)
	}
	if err := json.Unmarshal([]byte(r.out), &rs); err != nil || len(rs) == 0 {
		t.Fatalf("doctor --json is not an array of checks: %v\n%s", err, r.out)
	}
	for _, c := range rs {
		if c.Check == "" || c.OK == nil || c.Detail == "" || (!*c.OK && c.Fix == "") {
			t.Errorf("doctor --json: incomplete check %+v", c)
		}
	}

	w.ok("register", "bob")
	if err := os.Chmod(w.home, 0o755); err != nil {
		t.Fatal(err)
	}
	r = w.run("doctor")
	if r.code != 3 || !strings.Contains(r.out, "fix: chmod 700 "+w.home) {
		t.Errorf("doctor on an open spool: want exit 3 and chmod 700, got %s", r)
	}
	if err := os.Chmod(w.home, 0o700); err != nil {
		t.Fatal(err)
	}
	r = w.run("doctor")
	if !strings.Contains(r.out, "ok   spool: "+w.home) || !strings.Contains(r.out, "ok   quarantine: "+filepath.Join(w.home, "quarantine")) {
		t.Errorf("doctor on a good spool:\n%s", r)
	}
}

// TestMCPRefusalShown holds that ipc mcp, refused by an unsafe spool, says
// why where a client shows it: as the JSON-RPC error answering initialize
// (stdout) and on stderr, and that the real claude mcp list prints it.
func TestMCPRefusalShown(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	if err := os.Chmod(w.home, 0o755); err != nil {
		t.Fatal(err)
	}
	r := w.runIn(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`+"\n", "mcp")
	if r.code != 4 {
		t.Fatalf("mcp on an open spool: want exit 4, got %s", r)
	}
	checkOneLine(t, r.err)
	var resp struct {
		ID    int `json:"id"`
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.out), &resp); err != nil || !strings.Contains(resp.Error.Message, "chmod 700 "+w.home) {
		t.Fatalf("mcp's answer to initialize is not the reason: %v\n%s", err, r)
	}

	claude := npmBin(t, claudePackage, "claude")
	home := filepath.Dir(w.home)
	writeJSONFile(t, filepath.Join(home, ".claude.json"), map[string]any{
		"hasCompletedOnboarding": true,
		"mcpServers":             map[string]any{"ipc": map[string]any{"type": "stdio", "command": ipcBin, "args": []string{"mcp"}}},
	})
	cmd := exec.Command(claude, "mcp", "list")
	cmd.Env, cmd.Dir = append(w.env, "DISABLE_AUTOUPDATER=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"), home
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "chmod 700 "+w.home) {
		t.Errorf("claude mcp list does not show why ipc mcp refused:\n%s", out)
	}
}
