//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// imapDriver is a mail client in Python's imaplib, driven line by line:
// each JSON command on stdin gets one JSON answer on stdout, so that the
// test can run ipc between IMAP steps.
const imapDriver = `
import imaplib, json, re, socket, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
m.login(user, pw)
def say(v):
    print(json.dumps(v), flush=True)
say({"ok": True})
for line in sys.stdin:
    c = json.loads(line)
    op = c["op"]
    if op == "select":
        typ, data = m.select(c["box"])
        say({"typ": typ, "exists": int(data[0]) if typ == "OK" else 0})
    elif op == "flags":
        m.noop()
        typ, data = m.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        out = {}
        for part in data:
            if not isinstance(part, tuple):
                continue
            head, body = part[0].decode(), part[1].decode()
            uid = int(re.search(r"UID (\d+)", head).group(1))
            flags = re.search(r"FLAGS \(([^)]*)\)", head).group(1).split()
            mid = re.search(r"<([^@>]+)", body).group(1)
            out[mid] = {"uid": uid, "flags": flags}
        say({"typ": typ, "messages": out})
    elif op == "store":
        typ, data = m.uid("STORE", str(c["uid"]), c["how"], "(" + c["flags"] + ")")
        say({"typ": typ})
    elif op == "try":
        typ, data = getattr(m, c["cmd"])(*c["args"])
        say({"typ": typ, "data": [d.decode() if isinstance(d, bytes) else str(d) for d in data]})
    elif op == "idle":
        tag = m._new_tag().decode()
        m.send(("%s IDLE\r\n" % tag).encode())
        first = m.readline().decode()
        say({"idling": first.startswith("+"), "line": first})
        m.sock.settimeout(c["seconds"])
        seen = ""
        try:
            while "EXISTS" not in seen:
                seen = m.readline().decode()
        except socket.timeout:
            seen = "timeout"
        m.sock.settimeout(None)
        m.send(b"DONE\r\n")
        while not m.readline().decode().startswith(tag):
            pass
        say({"line": seen.strip()})
`

// imapClient is the Python client above, talking to one server.
type imapClient struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

func newIMAPClient(t *testing.T, port int, user, password string) *imapClient {
	t.Helper()
	cmd := exec.Command("python3", "-c", imapDriver, "127.0.0.1", strconv.Itoa(port), user, password)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("imaplib client: %v\n%s", err, stderr.String())
		}
	})
	c := &imapClient{t: t, in: in, out: bufio.NewScanner(out)}
	var hello struct{ OK bool }
	c.read(&hello)
	if !hello.OK {
		t.Fatalf("imaplib could not log in: %s", stderr.String())
	}
	return c
}

// do sends one command and decodes its answer into v.
func (c *imapClient) do(v any, cmd map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := c.in.Write(append(b, '\n')); err != nil {
		c.t.Fatalf("imaplib %v: %v", cmd, err)
	}
	c.read(v)
}

func (c *imapClient) read(v any) {
	c.t.Helper()
	if !c.out.Scan() {
		c.t.Fatalf("imaplib client stopped: %v", c.out.Err())
	}
	if err := json.Unmarshal(c.out.Bytes(), v); err != nil {
		c.t.Fatalf("imaplib answered %q: %v", c.out.Text(), err)
	}
}

type imapMessage struct {
	UID   int
	Flags []string
}

// messages returns the selected folder's messages by ipc id, with flags.
func (c *imapClient) messages() map[string]imapMessage {
	c.t.Helper()
	var r struct {
		Typ      string
		Messages map[string]imapMessage
	}
	c.do(&r, map[string]any{"op": "flags"})
	if r.Typ != "OK" {
		c.t.Fatalf("FETCH: %s", r.Typ)
	}
	return r.Messages
}

func (c *imapClient) store(uid int, how, flags string) {
	c.t.Helper()
	var r struct{ Typ string }
	if c.do(&r, map[string]any{"op": "store", "uid": uid, "how": how, "flags": flags}); r.Typ != "OK" {
		c.t.Fatalf("STORE %d %s %s: %s", uid, how, flags, r.Typ)
	}
}

func seenIn(flags []string) bool {
	for _, f := range flags {
		if f == `\Seen` {
			return true
		}
	}
	return false
}

// imapServer is a running ipc imap and what it printed.
type imapServer struct {
	*proc
	Port         int
	User         string
	PasswordFile string `json:"password_file"`
	Config       string
}

// startIMAP runs ipc imap on a free port and waits for it to say how to
// connect (it says so once Dovecot takes connections).
func startIMAP(w *world) *imapServer {
	w.t.Helper()
	s := &imapServer{proc: w.start("--json", "imap", "--port", "0")}
	eventually(w.t, "ipc imap to print how to connect", func() bool {
		return strings.Contains(s.out.String(), "}") || s.exited()
	})
	if err := json.Unmarshal(s.out.Bytes(), s); err != nil || s.Port == 0 {
		w.t.Fatalf("ipc imap printed %q (%v); stderr:\n%s", s.out, err, s.err)
	}
	return s
}

// unreadIDs is what ipc check --peek shows bob, by id.
func unreadIDs(t *testing.T, w *world) []string {
	t.Helper()
	var msgs []struct{ ID string }
	r := w.ok("--json", "--as", "bob", "check", "--peek")
	if err := json.Unmarshal([]byte(r.out), &msgs); err != nil {
		t.Fatalf("check --json: %q: %v", r.out, err)
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	return ids
}

func sendID(t *testing.T, w *world, from, to, text string) string {
	t.Helper()
	var rc struct{ ID string }
	if err := json.Unmarshal([]byte(w.ok("--json", "--as", from, "send", to, text).out), &rc); err != nil || rc.ID == "" {
		t.Fatalf("send --json: %v", err)
	}
	return rc.ID
}

// TestDovecotIMAP serves a spool with Debian's Dovecot through ipc imap,
// as the spool's owner (an unprivileged user: Dovecot refuses root), and
// reads it with Python's imaplib as a person's mail client would. Opening
// a folder keeps its mail unread for the agent; \Seen set over IMAP hides
// a message from ipc check, and cleared brings it back; what ipc check
// read shows as \Seen; IDLE sees an ipc send; the client cannot remove or
// add a mailbox, and Dovecot's files stay out of the Maildirs.
func TestDovecotIMAP(t *testing.T) {
	need(t, "python3")
	if _, err := exec.LookPath("dovecot"); err != nil && !fileExists("/usr/sbin/dovecot") {
		need(t, "dovecot")
	}
	w, _ := asUser(t)
	w.ok("register", "bob")
	ids := []string{sendID(t, w, "alice", "bob", "first"), sendID(t, w, "alice", "bob", "second"), sendID(t, w, "alice", "bob", "third")}
	srv := startIMAP(w)
	pw, err := os.ReadFile(srv.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(srv.PasswordFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("password file %s: %v %v, want mode 0600", srv.PasswordFile, fi.Mode(), err)
	}
	c := newIMAPClient(t, srv.Port, srv.User, strings.TrimSpace(string(pw)))

	var sel struct {
		Typ    string
		Exists int
	}
	if c.do(&sel, map[string]any{"op": "select", "box": "bob"}); sel.Typ != "OK" || sel.Exists != 3 {
		t.Fatalf("SELECT bob = %+v, want OK and 3 messages", sel)
	}
	// Dovecot has moved the three to cur/ without S, as mail clients do:
	// they are still unread for ipc.
	if n := len(w.files("bob", "new")); n != 0 {
		t.Errorf("%d files left in new/ after SELECT; Dovecot moves listed mail to cur/", n)
	}
	if got := unreadIDs(t, w); strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("ipc check after SELECT = %q, want all three %q", got, ids)
	}

	msgs := c.messages()
	c.store(msgs[ids[0]].UID, "+FLAGS", `\Seen`)
	if got := unreadIDs(t, w); strings.Join(got, " ") != strings.Join(ids[1:], " ") {
		t.Errorf("ipc check after +\\Seen on %s = %q, want %q", ids[0], got, ids[1:])
	}
	c.store(msgs[ids[0]].UID, "-FLAGS", `\Seen`)
	if got := unreadIDs(t, w); strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("ipc check after -\\Seen on %s = %q, want all three again", ids[0], got)
	}

	if out := w.ok("--as", "bob", "check").out; !strings.Contains(out, "first") || !strings.Contains(out, "third") {
		t.Errorf("ipc check did not show the mail: %q", out)
	}
	for _, id := range ids {
		if m := c.messages()[id]; !seenIn(m.Flags) {
			t.Errorf("message %s read by ipc check has IMAP flags %v, want \\Seen", id, m.Flags)
		}
	}

	// IDLE: the client is told of mail ipc send delivers while it waits.
	idle := make(chan string, 1)
	var started struct {
		Idling bool
		Line   string
	}
	c.do(&started, map[string]any{"op": "idle", "seconds": 60})
	if !started.Idling {
		t.Fatalf("IDLE refused: %q", started.Line)
	}
	later := sendID(t, w, "alice", "bob", "while you idle")
	go func() { // the answer comes when IDLE ends; c.read would Fatal off the test's goroutine
		c.out.Scan()
		idle <- c.out.Text()
	}()
	select {
	case answer := <-idle:
		var r struct{ Line string }
		if err := json.Unmarshal([]byte(answer), &r); err != nil || r.Line != "* 4 EXISTS" {
			t.Errorf("IDLE after ipc send answered %q (%v), want * 4 EXISTS", answer, err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("IDLE reported nothing of the mail ipc sent")
	}
	if m, ok := c.messages()[later]; !ok || seenIn(m.Flags) {
		t.Errorf("message sent during IDLE: %+v (found %v), want it unseen", m, ok)
	}

	// Every mailbox is subscribed, and one registered now is listed at once.
	w.ok("register", "carol")
	for _, list := range []struct{ cmd, want string }{{"lsub", `"/" bob`}, {"list", `"/" carol`}} {
		var r struct {
			Typ  string
			Data []string
		}
		if c.do(&r, map[string]any{"op": "try", "cmd": list.cmd, "args": []string{}}); r.Typ != "OK" || !strings.Contains(strings.Join(r.Data, "\n"), list.want) {
			t.Errorf("IMAP %s = %s %q, want a line ending %s", strings.ToUpper(list.cmd), r.Typ, r.Data, list.want)
		}
	}

	// No mailbox made, removed or renamed over IMAP.
	for _, try := range []struct {
		cmd  string
		args []string
	}{{"create", []string{"newbox"}}, {"rename", []string{"bob", "robert"}}, {"delete", []string{"bob"}}} {
		var r struct{ Typ string }
		if c.do(&r, map[string]any{"op": "try", "cmd": try.cmd, "args": try.args}); r.Typ != "NO" {
			t.Errorf("IMAP %s %v = %s, want NO", strings.ToUpper(try.cmd), try.args, r.Typ)
		}
	}
	checkNoDovecotFiles(t, filepath.Join(w.home, "mail"))
	if got := unreadIDs(t, w); len(got) != 1 || got[0] != later {
		t.Errorf("after the refused DELETE ipc check shows %q, want only %s", got, later)
	}

	srv.cmd.Process.Signal(syscall.SIGINT)
	if code := srv.wait(30 * time.Second); code != 0 {
		t.Errorf("ipc imap exited %d after SIGINT, want 0; stderr:\n%s", code, srv.err)
	}
}

// files lists the file names in NAME's new/ or cur/.
func (w *world) files(name, sub string) []string {
	w.t.Helper()
	ents, err := os.ReadDir(filepath.Join(w.home, "mail", name, sub))
	if err != nil {
		w.t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// checkNoDovecotFiles fails if Dovecot left a directory in mail/ that is
// not a mailbox, or any file of its own inside a mailbox. (A refused
// DELETE makes Dovecot's ACL plugin write dovecot-acl-list into mail/
// itself: a file, which ipc never takes for a mailbox.)
func checkNoDovecotFiles(t *testing.T, mail string) {
	t.Helper()
	err := filepath.WalkDir(mail, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(mail, p)
		parts := strings.Split(rel, string(filepath.Separator))
		switch {
		case rel == "." || (len(parts) == 1 && d.Name() == "dovecot-acl-list"):
		case len(parts) == 1 && d.IsDir() && strings.Contains("alice bob carol", d.Name()):
		case len(parts) == 2 && d.IsDir() && strings.Contains("tmp new cur", d.Name()):
		case len(parts) == 2 && !d.IsDir() && !strings.HasPrefix(d.Name(), "dovecot"):
		case len(parts) == 3 && !d.IsDir() && parts[1] != "tmp" && !strings.HasPrefix(d.Name(), "dovecot"):
		default:
			t.Errorf("%s in mail/: not ipc's", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIMAPWithoutDovecot: with no Dovecot to run, ipc imap says in one
// line which package to install, and exits 3.
func TestIMAPWithoutDovecot(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w = w.with("PATH=" + t.TempDir())
	r := w.run("imap", "--dovecot", "dovecot")
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	if r.code != 3 || len(lines) != 1 || r.out != "" ||
		!strings.Contains(lines[0], "dovecot-imapd") || !strings.Contains(lines[0], "brew install dovecot") {
		t.Errorf("ipc imap without Dovecot: %s", r)
	}
}

// TestIMAPAsRoot: as root ipc imap refuses, saying why, before it writes
// or starts anything (Dovecot gives no IMAP access to mail owned by uid 0).
func TestIMAPAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can show the refusal of root")
	}
	if _, err := exec.LookPath("dovecot"); err != nil && !fileExists("/usr/sbin/dovecot") {
		need(t, "dovecot")
	}
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	r := w.run("imap", "--port", "0")
	if r.code != 3 || !strings.Contains(r.err, "root") || r.out != "" {
		t.Errorf("ipc imap as root: %s", r)
	}
	if fileExists(filepath.Join(w.home, "state", "imap", "dovecot.conf")) {
		t.Error("ipc imap as root wrote a configuration")
	}
}
