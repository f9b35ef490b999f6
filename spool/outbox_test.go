package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// dropIn writes a file into outbox/new/ the way a script would: in tmp/,
// then renamed.
func dropFile(t *testing.T, s *Spool, name, content string) string {
	t.Helper()
	tmp := s.path(dirOutbox, "tmp", name)
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(s.OutboxDir(), name)
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// copies counts each mailbox's messages by Message-ID, across new/ and cur/.
func copies(t *testing.T, s *Spool, name string) map[string]int {
	t.Helper()
	mb := mustMailbox(t, s, name)
	ms, err := mb.Check(CheckOptions{Peek: true, All: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range ms {
		out[m.ID]++
	}
	return out
}

func msgText(id, to, body string) string {
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	return fmt.Sprintf("From: script@host\nTo: %s\nSubject: test %s\nMessage-ID: <%s@host>\n\n%s", to, id, id, body)
}

func TestRouteOutbox(t *testing.T) {
	for _, tc := range []struct {
		name    string
		to      string
		want    []string // mailboxes that must hold exactly one copy
		forward [2]string
	}{
		{name: "bare name", to: "bob", want: []string{"bob"}},
		{name: "address", to: "bob@elsewhere", want: []string{"bob"}},
		{name: "display name", to: `"Bob B" <bob@host>`, want: []string{"bob"}},
		{name: "several", to: "bob@host, carol, dave@x", want: []string{"bob", "carol", "dave"}},
		{name: "repeated", to: "bob, bob@host", want: []string{"bob"}},
		{name: "forwarded", to: "old", want: []string{"new"}, forward: [2]string{"old", "new"}},
		{name: "forward and target", to: "old, new", want: []string{"new"}, forward: [2]string{"old", "new"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			s := openTest(t, WithClock(clk.Now))
			if tc.forward[0] != "" {
				if err := s.setForward(tc.forward[0], tc.forward[1], clk.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			const id = "0123456789ab"
			dropFile(t, s, "drop1", msgText(id, tc.to, "hello"))
			r, err := s.RouteOutbox("drop1")
			if err != nil {
				t.Fatal(err)
			}
			if r.Quarantined != "" || strings.Join(r.To, ",") != strings.Join(tc.want, ",") || r.ID != id {
				t.Fatalf("routed %+v, want to %v", r, tc.want)
			}
			for _, n := range tc.want {
				if got := copies(t, s, n); got[id] != 1 || len(got) != 1 {
					t.Errorf("%s holds %v, want one copy of %s", n, got, id)
				}
			}
			if left := files(t, s.OutboxDir()); len(left) != 0 {
				t.Errorf("outbox still holds %v", left)
			}
			// Routing again (a repeated event) does nothing.
			if r, err := s.RouteOutbox("drop1"); err != nil || len(r.To) != 0 {
				t.Errorf("second route: %+v, %v", r, err)
			}
		})
	}
}

func TestRouteOutboxQuarantines(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, s *Spool, path string)
		why  string
	}{
		{"no To", writeAt("From: a@h\nSubject: x\n\nbody\n"), "no recipient"},
		{"plain text", writeAt("just some text, no headers at all\n"), "no mail headers"},
		{"invalid name", writeAt("To: ../etc\n\nbody\n"), "invalid name"},
		{"bad among good", writeAt("To: bob, no way\n\nbody\n"), "invalid name"},
		{"symlink", func(t *testing.T, s *Spool, path string) {
			if err := os.Symlink("/etc/passwd", path); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
		{"fifo", func(t *testing.T, s *Spool, path string) {
			if err := testkit.Mkfifo(path); errors.Is(err, errors.ErrUnsupported) {
				t.Skip("no FIFOs on this system")
			} else if err != nil {
				t.Fatal(err)
			}
		}, "FIFO"},
		{"directory", func(t *testing.T, s *Spool, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			tc.make(t, s, filepath.Join(s.OutboxDir(), "bad"))
			r, err := s.RouteOutbox("bad")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Quarantined, tc.why) {
				t.Fatalf("quarantined %q, want it to say %q", r.Quarantined, tc.why)
			}
			q := files(t, s.path(dirQuarantine))
			if len(q) != 2 {
				t.Fatalf("quarantine holds %v, want the file and its .why", q)
			}
			why, err := os.ReadFile(s.path(dirQuarantine, q[0]+".why"))
			if err != nil {
				why, err = os.ReadFile(s.path(dirQuarantine, q[1]+".why"))
			}
			if err != nil || !strings.Contains(string(why), tc.why) {
				t.Errorf(".why = %q, %v", why, err)
			}
			if left := files(t, s.OutboxDir()); len(left) != 0 {
				t.Errorf("outbox still holds %v", left)
			}
			if names, _ := s.Names(); len(names) != 0 {
				t.Errorf("mailboxes created for an unroutable file: %v", names)
			}
		})
	}
}

func writeAt(content string) func(*testing.T, *Spool, string) {
	return func(t *testing.T, s *Spool, path string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRouteOutboxLarge(t *testing.T) {
	s := openTest(t)
	body := strings.Repeat("a long line of a large report\n", 1000)
	dropFile(t, s, "big", msgText("00000000beef", "bob, carol", body))
	body = strings.TrimSuffix(body, "\n") // the file's last newline is not the body's
	r, err := s.RouteOutbox("big")
	if err != nil {
		t.Fatal(err)
	}
	if r.LargeFile == "" || len(r.To) != 2 {
		t.Fatalf("routed %+v, want a large file and two recipients", r)
	}
	full, err := os.ReadFile(r.LargeFile)
	if err != nil || !strings.Contains(string(full), body) {
		t.Fatalf("large file: %v (%d bytes)", err, len(full))
	}
	if fi, _ := os.Stat(r.LargeFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("large file mode %v, want 0600", fi.Mode().Perm())
	}
	for _, n := range []string{"bob", "carol"} {
		ms, err := mustMailbox(t, s, n).Check(CheckOptions{Peek: true})
		if err != nil || len(ms) != 1 {
			t.Fatalf("%s: %d messages, %v", n, len(ms), err)
		}
		m := ms[0]
		if m.ID != "00000000beef" || m.LargeFile != r.LargeFile || m.LargeSize != int64(len(body)) || len(m.Body) >= len(body) {
			t.Errorf("%s got id %s large %q size %d body %d bytes", n, m.ID, m.LargeFile, m.LargeSize, len(m.Body))
		}
	}
	if left := files(t, s.path(dirOutbox, "tmp")); len(left) != 0 {
		t.Errorf("outbox/tmp still holds %v", left)
	}
}

// crashFS fails the n-th file-system operation and every one after it, as
// a router killed at that instant would leave things.
type crashFS struct {
	FS
	n, ops int // n == 0: not armed yet
}

func (c *crashFS) step(op string) error {
	if c.n == 0 {
		return nil
	}
	c.ops++
	if c.ops >= c.n {
		return fmt.Errorf("crash before %s (op %d)", op, c.ops)
	}
	return nil
}

func (c *crashFS) Create(name string, perm os.FileMode) (File, error) {
	if err := c.step("create"); err != nil {
		return nil, err
	}
	return c.FS.Create(name, perm)
}
func (c *crashFS) Rename(a, b string) error {
	if err := c.step("rename"); err != nil {
		return err
	}
	return c.FS.Rename(a, b)
}
func (c *crashFS) Link(a, b string) error {
	if err := c.step("link"); err != nil {
		return err
	}
	return c.FS.Link(a, b)
}
func (c *crashFS) Remove(name string) error {
	if err := c.step("remove"); err != nil {
		return err
	}
	return c.FS.Remove(name)
}
func (c *crashFS) Mkdir(name string, perm os.FileMode) error {
	if err := c.step("mkdir"); err != nil {
		return err
	}
	return c.FS.Mkdir(name, perm)
}
func (c *crashFS) SyncDir(dir string) error {
	if err := c.step("syncdir"); err != nil {
		return err
	}
	return c.FS.SyncDir(dir)
}

// TestRouteCrashAnywhere stops a router at every step of routing a message
// for three recipients (one of whom reads its mail in between), then lets
// a fresh router finish: each recipient holds the message exactly once and
// the outbox is empty.
func TestRouteCrashAnywhere(t *testing.T) {
	for _, large := range []bool{false, true} {
		for n := 1; ; n++ {
			root := filepath.Join(t.TempDir(), "spool")
			good, err := Open(root, WithConfig(DefaultConfig()))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"bob", "carol", "dave"} {
				if _, _, err := good.ensureMailbox(name); err != nil {
					t.Fatal(err)
				}
			}
			body := "hello"
			if large {
				body = strings.Repeat("x", 20000)
			}
			const id = "00000000c0de"
			dropFile(t, good, "m1", msgText(id, "bob, carol, dave", body))
			cfs := &crashFS{FS: OS}
			crashing, err := Open(root, WithConfig(DefaultConfig()), WithFS(cfs))
			if err != nil {
				t.Fatal(err)
			}
			cfs.n = n
			_, err = crashing.RouteOutbox("m1")
			if err == nil && cfs.ops < n {
				t.Logf("large=%v: cut at each of %d steps", large, n-1)
				break // routed before reaching step n: every step has been cut
			}
			// carol reads what she has before the new router runs.
			if _, err := mustMailbox(t, good, "carol").Check(CheckOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := good.RouteOutbox("m1"); err != nil {
				t.Fatalf("large=%v crash at %d: finishing: %v", large, n, err)
			}
			for _, name := range []string{"bob", "carol", "dave"} {
				if got := copies(t, good, name); got[id] != 1 || len(got) != 1 {
					t.Errorf("large=%v crash at op %d: %s holds %v", large, n, name, got)
				}
			}
			if left := files(t, good.OutboxDir()); len(left) != 0 {
				t.Errorf("large=%v crash at op %d: outbox holds %v", large, n, left)
			}
			if n > 50 {
				t.Fatal("routing never finished")
			}
		}
	}
}

func TestEnsureMailboxDoesNotClaim(t *testing.T) {
	s := openTest(t)
	mb, err := s.EnsureMailbox("zed")
	if err != nil || !mb.Exists() || mb.Registered() {
		t.Fatalf("EnsureMailbox: %v exists=%v registered=%v", err, mb.Exists(), mb.Registered())
	}
	if _, err := s.EnsureMailbox("no way"); !errors.Is(err, ErrBadName) {
		t.Errorf("bad name: %v", err)
	}
}
