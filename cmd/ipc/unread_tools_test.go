package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// The tests here drive the mail tools people read agents' mail with, and
// check that "unread" means to ipc what it means to them: no S flag.

// unreadIDs returns the ids check --peek shows for name.
func (w *world) unreadIDs(name string) []string {
	w.t.Helper()
	var ids []string
	for _, m := range w.messages(name, "--peek") {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return ids
}

func (w *world) sendSome(to string, texts ...string) []string {
	w.t.Helper()
	var ids []string
	for _, s := range texts {
		ids = append(ids, sentID(w.t, w.ok("--as", "alice", "send", to, s).out))
	}
	slices.Sort(ids)
	return ids
}

// TestMincKeepsMailUnread: mblaze's minc moves new mail to cur/ without
// the S flag; ipc still has it unread.
func TestMincKeepsMailUnread(t *testing.T) {
	t.Parallel()
	need(t, "minc", "mlist")
	w := newWorld(t)
	ids := w.sendSome("bob", "one", "two")
	mblaze(t, w, "minc", filepath.Join(w.home, "mail", "bob"))
	if left := filesIn(t, w.mailDir("bob", "new")); len(left) != 0 {
		t.Fatalf("minc left %v in new/", left)
	}
	for _, f := range filesIn(t, w.mailDir("bob", "cur")) {
		if !strings.HasSuffix(f, ":2,") {
			t.Fatalf("minc named %s; want :2, (listed, not seen)", f)
		}
	}
	if got := w.unreadIDs("bob"); !slices.Equal(got, ids) {
		t.Fatalf("unread after minc = %v, want %v", got, ids)
	}
	w.ok("--as", "bob", "check")
	if seen := strings.Fields(mblaze(t, w, "mlist", "-S", filepath.Join(w.home, "mail", "bob"))); len(seen) != 2 {
		t.Errorf("mlist -S after check = %v, want both seen", seen)
	}
}

// TestNotmuchUnreadTag: notmuch's tag -unread sets S on the file (its
// flag synchronisation), which ipc takes as read; +unread clears it, and
// the agent sees the message again.
func TestNotmuchUnreadTag(t *testing.T) {
	t.Parallel()
	need(t, "notmuch")
	w := newWorld(t)
	ids := w.sendSome("bob", "tag me")
	nm := newNotmuch(t, w)
	nm.run("new", "--quiet")
	nm.run("tag", "-unread", "--", "from:alice")
	if got := w.unreadIDs("bob"); len(got) != 0 {
		t.Fatalf("unread after notmuch tag -unread = %v, want none", got)
	}
	nm.run("tag", "+unread", "--", "from:alice")
	if got := w.unreadIDs("bob"); !slices.Equal(got, ids) {
		t.Fatalf("unread after notmuch tag +unread = %v, want %v", got, ids)
	}
	w.ok("--as", "bob", "check")
	nm.run("new", "--quiet")
	if got := strings.TrimSpace(nm.run("count", "tag:unread")); got != "0" {
		t.Errorf("notmuch counts %s unread after ipc check, want 0", got)
	}
}

// TestReplyToSafecatDelivery: a message another program delivered under
// its own file name and Message-ID is answered by the id check shows.
func TestReplyToSafecatDelivery(t *testing.T) {
	t.Parallel()
	need(t, "safecat")
	w := newWorld(t)
	w.ok("register", "bob")
	msg := "From: cron@example.org\nTo: bob@example.org\nSubject: nightly\nMessage-ID: <nightly-7@example.org>\n\nbackup done\n"
	safecat := exec.Command("safecat", w.mailDir("bob", "tmp"), w.mailDir("bob", "new"))
	safecat.Stdin = strings.NewReader(msg)
	if out, err := safecat.CombinedOutput(); err != nil {
		t.Fatalf("safecat: %v\n%s", err, out)
	}
	r := w.ok("--as", "bob", "check")
	if !strings.Contains(r.out, "nightly-7@example.org") {
		t.Fatalf("check does not show the Message-ID:\n%s", r.out)
	}
	for _, id := range []string{"nightly-7@example.org", "<nightly-7@example.org>", "nightly-7"} {
		w.ok("--as", "bob", "reply", id, "thanks for "+id)
	}
	back := w.messages("cron")
	if len(back) != 3 {
		t.Fatalf("cron got %d replies, want 3", len(back))
	}
	for _, m := range back {
		if m.InReplyTo != "nightly-7@example.org" || m.From != "bob" {
			t.Errorf("reply from %q in reply to %q, want bob answering nightly-7@example.org", m.From, m.InReplyTo)
		}
	}
}

// TestSendmailFromMutt: a reply a person writes in mutt, sent through
// "set sendmail=ipc sendmail", reaches the agent in its thread, from the
// name the agent answers.
func TestSendmailFromMutt(t *testing.T) {
	t.Parallel()
	need(t, "mutt")
	w := newWorld(t)
	id := sentID(t, w.ok("--as", "alice", "send", "ann", "please review the plan").out)
	host, _ := os.Hostname()
	draft := writeFile(t, t.TempDir(), "draft", "To: alice@localhost\nSubject: Re: please review the plan\n"+
		"In-Reply-To: <"+id+"@"+host+">\nReferences: <"+id+"@"+host+">\n\nlooks good, ship it\n")
	home := filepath.Join(w.home, "..")
	if err := os.MkdirAll(filepath.Join(home, "Mail"), 0o700); err != nil {
		t.Fatal(err)
	}
	mutt := exec.Command("mutt", "-n", "-F", "/dev/null", "-e", `set sendmail="`+ipcBin+` sendmail"`,
		"-e", "set from=ann@localhost", "-H", draft)
	mutt.Env = w.env
	if out, err := mutt.CombinedOutput(); err != nil {
		t.Fatalf("mutt: %v\n%s", err, out)
	}
	got := w.messages("alice")
	if len(got) != 1 {
		t.Fatalf("alice got %d messages, want the reply", len(got))
	}
	m := got[0]
	if m.From != "ann" || m.InReplyTo != id || m.Thread() != id || strings.TrimSpace(m.Body) != "looks good, ship it" ||
		m.Provenance != spool.ProvSendmail {
		t.Fatalf("reply from mutt: from %q in reply to %q thread %q provenance %q body %q", m.From, m.InReplyTo, m.Thread(), m.Provenance, m.Body)
	}
	// The agent answers the person by that name; the answer waits in ann's
	// mailbox, which mutt reads.
	w.ok("--as", "alice", "reply", m.ID, "shipped")
	answered := false
	for _, b := range w.messages("ann") {
		answered = answered || (b.InReplyTo == m.ID && b.From == "alice" && strings.TrimSpace(b.Body) == "shipped")
	}
	if !answered {
		t.Error("alice's answer to ann's mutt reply is not in ann's mailbox")
	}
}

// TestMuttOpenQuitKeepsUnread opens an agent's mailbox in mutt, in tmux,
// with mutt's default settings, and quits: mutt moves what it listed to
// cur/ ("old", no S flag), and the agent still has every message unread.
func TestMuttOpenQuitKeepsUnread(t *testing.T) {
	t.Parallel()
	need(t, "mutt", "tmux")
	w := newWorld(t)
	ids := w.sendSome("bob", "first", "second", "third")
	home := filepath.Join(w.home, "..")
	if err := os.MkdirAll(filepath.Join(home, "Mail"), 0o700); err != nil { // or mutt asks to create it
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "tmux")
	tmux := func(args ...string) string {
		cmd := exec.Command("tmux", append([]string{"-S", sock}, args...)...)
		cmd.Env = append(w.env, "TERM=xterm")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-x", "120", "-y", "30", "mutt -n -F /dev/null -f "+filepath.Join(w.home, "mail", "bob"))
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", sock, "kill-server").Run() })
	testkit.Eventually(t, "mutt to list the mail", 10*time.Second, 50*time.Millisecond, func() bool {
		return strings.Count(tmux("capture-pane", "-p"), "alice@") == 3
	})
	tmux("send-keys", "q")
	testkit.Eventually(t, "mutt to quit", 10*time.Second, 50*time.Millisecond, func() bool {
		return exec.Command("tmux", "-S", sock, "has-session").Run() != nil
	})
	listed := filesIn(t, w.mailDir("bob", "cur"))
	if len(listed) != 3 {
		t.Fatalf("mutt moved %v to cur/, want all 3 (mark_old): the test shows nothing otherwise", listed)
	}
	for _, f := range listed {
		if _, flags, _ := strings.Cut(f, ":2,"); strings.Contains(flags, "S") {
			t.Fatalf("mutt marked %s seen without it being opened", f)
		}
	}
	if got := w.unreadIDs("bob"); !slices.Equal(got, ids) {
		t.Fatalf("unread after mutt opened and quit = %v, want %v (cur/: %v)", got, ids, filesIn(t, w.mailDir("bob", "cur")))
	}
}
