package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/spool"
)

// TestNamesIgnoreCase: mail to "Claude" reaches the registered "claude",
// and no second mailbox appears.
func TestNamesIgnoreCase(t *testing.T) {
	w := newWorld(t)
	w.ok("register", "claude")
	w.ok("--as", "alice", "send", "Claude", "hello")
	r := w.ok("--as", "alice", "send", "CLAUDE", "again")
	if !strings.Contains(r.out, "sent to claude") {
		t.Errorf("send to CLAUDE says %q, want the known spelling", r.out)
	}
	if r := w.ok("register", "Claude"); !strings.HasPrefix(r.out, "Registered claude.") {
		t.Errorf("register Claude: %q", r.out)
	}
	var infos []spool.NameInfo
	w.checkJSON(&infos, "list")
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	if strings.Join(names, ",") != "alice,claude" && strings.Join(names, ",") != "claude" {
		t.Errorf("names %v", names)
	}
	if msgs := w.messages("Claude"); len(msgs) != 2 {
		t.Errorf("Claude's check gives %d messages, want 2", len(msgs))
	}
}

// TestForgetCommand: a never-registered mailbox goes, its mail to
// quarantine/; an online one is refused.
func TestForgetCommand(t *testing.T) {
	w := newWorld(t)
	w.ok("--as", "alice", "send", "Typo", "lost?")
	h := w.holdName("carol")
	w.fails(3, []string{"carol is held by live process"}, "forget", "carol")
	r := w.ok("forget", "typo")
	if !strings.Contains(r.out, "Forgot Typo: 1 message moved to quarantine/") {
		t.Errorf("forget: %q", r.out)
	}
	if q, _ := filepath.Glob(filepath.Join(w.home, "quarantine", "*.why")); len(q) != 1 {
		t.Errorf("quarantine holds %d reasons, want 1", len(q))
	}
	w.fails(3, []string{"no mailbox Typo"}, "forget", "Typo")
	h.kill()
	var f spool.Forgotten
	w.checkJSON(&f, "forget", "carol")
	if f.Name != "carol" || !f.Registered || f.Quarantined != 0 {
		t.Errorf("forget carol --json: %+v", f)
	}
}

// TestRegisterEndsForward: registering a renamed name says what becomes
// of its forward.
func TestRegisterEndsForward(t *testing.T) {
	w := newWorld(t)
	w.ok("register", "alice")
	w.ok("--as", "alice", "rename", "al")
	r := w.ok("register", "alice")
	if !strings.Contains(r.out, "alice had been renamed to al; registering alice again ends that forward") {
		t.Errorf("register alice after the rename: %q", r.out)
	}
	if r := w.ok("--as", "bob", "send", "alice", "hi"); !strings.Contains(r.out, "sent to alice") {
		t.Errorf("mail to alice after: %q", r.out)
	}
}
