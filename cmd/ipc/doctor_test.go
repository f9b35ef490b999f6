package main

import (
	"encoding/json"
	"os"
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
