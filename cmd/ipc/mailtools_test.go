package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// utf8Text has accents, a symbol and CJK: what goes wrong first in mail.
const utf8Text = "héllo wörld ✓ 日本語"

// mblaze runs one of the mblaze tools with a private profile directory.
func mblaze(t *testing.T, w *world, prog string, args ...string) string {
	t.Helper()
	profile := t.TempDir()
	writeFile(t, profile, "seq", "") // mscan reads the current sequence
	cmd := exec.Command(prog, args...)
	cmd.Env = append(append([]string(nil), w.env...), "MBLAZE="+profile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %q: %v\n%s", prog, args, err, stderr.String())
	}
	return string(out)
}

// TestMblaze reads our Maildir with mblaze: the files are ordinary mail.
func TestMblaze(t *testing.T) {
	t.Parallel()
	need(t, "mlist", "mshow", "mscan")
	w := newWorld(t)
	w.ok("register", "bob")
	w.ok("--as", "alice", "send", "bob", "--subject", utf8Text, utf8Text+"\nsecond line ✓")

	listed := strings.Fields(mblaze(t, w, "mlist", filepath.Join(w.home, "mail", "bob")))
	file := onlyFile(t, w.mailDir("bob", "new"))
	if len(listed) != 1 || listed[0] != file {
		t.Fatalf("mlist = %q, want [%s]", listed, file)
	}
	show := mblaze(t, w, "mshow", file)
	for _, s := range []string{"From: alice@", "To: bob@", "Subject: " + utf8Text, utf8Text + "\nsecond line ✓\n"} {
		if !strings.Contains(show, s) {
			t.Errorf("mshow lacks %q:\n%s", s, show)
		}
	}
	if scan := mblaze(t, w, "mscan", "-f", "%f|%s", file); strings.TrimSpace(scan) != "alice@"+hostOf(t, file)+"|"+utf8Text {
		t.Errorf("mscan = %q", scan)
	}

	// Once read, the message is in cur/ with the seen flag, where mlist
	// finds it among the seen ones.
	w.ok("--as", "bob", "check")
	seen := strings.Fields(mblaze(t, w, "mlist", "-S", filepath.Join(w.home, "mail", "bob")))
	if len(seen) != 1 || !strings.HasSuffix(seen[0], ":2,S") || filepath.Base(filepath.Dir(seen[0])) != "cur" {
		t.Errorf("mlist -S after check = %q", seen)
	}
}

// hostOf returns the host part of the From address in a message file.
func hostOf(t *testing.T, file string) string {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if addr, ok := strings.CutPrefix(line, "From: "); ok {
			_, host, _ := strings.Cut(addr, "@")
			return host
		}
	}
	return ""
}

// notmuchWorld indexes the spool's mail with notmuch, its database kept
// outside the spool.
type notmuchWorld struct {
	t   *testing.T
	env []string
}

func newNotmuch(t *testing.T, w *world) *notmuchWorld {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("[database]\npath=%s\nmail_root=%s\n[new]\ntags=unread;inbox\nignore=owner.lock;owner.holder\n[user]\nname=test\nprimary_email=test@localhost\n",
		db, filepath.Join(w.home, "mail"))
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return &notmuchWorld{t: t, env: append(append([]string(nil), w.env...), "NOTMUCH_CONFIG="+cfg)}
}

func (n *notmuchWorld) run(args ...string) string {
	n.t.Helper()
	cmd := exec.Command("notmuch", args...)
	cmd.Env = n.env
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		n.t.Fatalf("notmuch %q: %v\n%s", args, err, stderr)
	}
	return string(out)
}

// TestNotmuch indexes the spool with notmuch: it finds messages by sender,
// subject and body text, and threads a reply with its original.
func TestNotmuch(t *testing.T) {
	t.Parallel()
	need(t, "notmuch")
	w := newWorld(t)
	w.ok("register", "bob")
	id := sentID(t, w.ok("--as", "alice", "send", "bob", "--subject", utf8Text, "the quarterly zanzibar report\n"+utf8Text).out)
	w.ok("--as", "carol", "send", "bob", "unrelated")
	w.ok("--as", "bob", "reply", id, "got the zanzibar report, thanks")

	nm := newNotmuch(t, w)
	nm.run("new", "--quiet")
	for q, want := range map[string]int{
		"from:alice":             1,
		"from:carol":             1,
		`subject:"wörld"`:        2, // the original and "Re: …"
		"zanzibar":               2,
		"日本語":                    2,
		"unrelated and from:bob": 0,
	} {
		if got := strings.Count(nm.run("search", "--output=files", q), "\n"); got != want {
			t.Errorf("notmuch search %s: %d files, want %d", q, got, want)
		}
	}

	// notmuch show --format=json: threads, each a list of [message, replies].
	var threads [][][]json.RawMessage
	out := nm.run("show", "--format=json", "--body=true", "from:alice")
	if err := json.Unmarshal([]byte(out), &threads); err != nil {
		t.Fatalf("notmuch show: %v\n%s", err, out)
	}
	if len(threads) != 1 || len(threads[0]) == 0 || len(threads[0][0]) == 0 {
		t.Fatalf("notmuch show: %s", out)
	}
	var msg struct {
		ID      string            `json:"id"`
		Headers map[string]string `json:"headers"`
		Body    []struct {
			Content string `json:"content"`
		} `json:"body"`
	}
	if err := json.Unmarshal(threads[0][0][0], &msg); err != nil {
		t.Fatalf("notmuch show: %v\n%s", err, out)
	}
	if !strings.HasPrefix(msg.ID, id+"@") || msg.Headers["Subject"] != utf8Text || msg.Headers["From"] != "alice@"+strings.TrimPrefix(msg.ID, id+"@") {
		t.Errorf("notmuch show: id %q headers %v", msg.ID, msg.Headers)
	}
	if len(msg.Body) == 0 || msg.Body[0].Content != "the quarterly zanzibar report\n"+utf8Text+"\n" {
		t.Errorf("notmuch body: %+v", msg.Body)
	}

	// The reply and its original are one thread; carol's message another.
	if got := strings.TrimSpace(nm.run("count", "--output=threads", "zanzibar")); got != "1" {
		t.Errorf("threads holding the original and its reply: %s, want 1", got)
	}
	if got := strings.TrimSpace(nm.run("count", "--output=threads", "*")); got != "2" {
		t.Errorf("threads in all: %s, want 2", got)
	}
}

// TestForeignDelivery checks that mail put in new/ by other programs is
// mail: safecat's delivery and a script's plain mv of a text file.
func TestForeignDelivery(t *testing.T) {
	t.Parallel()
	need(t, "safecat")
	w := newWorld(t)
	w.ok("register", "bob")
	dir := t.TempDir()

	mail := "From: cron@example.org\nTo: bob@example.org\nSubject: nightly backup " + utf8Text +
		"\nMessage-ID: <nightly-1@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nbackup finished: 42 files\n"
	in, err := os.Open(writeFile(t, dir, "mail", mail))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	safecat := exec.Command("safecat", w.mailDir("bob", "tmp"), w.mailDir("bob", "new"))
	safecat.Stdin = in
	if out, err := safecat.CombinedOutput(); err != nil {
		t.Fatalf("safecat: %v\n%s", err, out)
	}

	text := writeFile(t, dir, "note.txt", "Note: disk at 91%\nplease clean up\n")
	if err := os.Rename(text, filepath.Join(w.mailDir("bob", "new"), "from-a-script.txt")); err != nil {
		t.Fatal(err)
	}

	r := w.ok("--as", "bob", "check")
	for _, s := range []string{"from cron", "nightly backup " + utf8Text, "    backup finished: 42 files",
		"from unknown sender", "    Note: disk at 91%\n    please clean up\n"} {
		if !strings.Contains(r.out, s) {
			t.Errorf("check lacks %q:\n%s", s, r.out)
		}
	}
	if n := filesIn(t, w.mailDir("bob", "new")); len(n) != 0 {
		t.Errorf("check left %q in new/", n)
	}
	if r = w.ok("--as", "bob", "check"); r.out != "" || r.err != "No new messages\n" {
		t.Errorf("second check: %s", r)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
