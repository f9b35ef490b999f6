package spool

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClaimNeverOverwrites: a script that drops "note" into new/ twice over
// time must not lose the first note when both are read.
func TestClaimNeverOverwrites(t *testing.T) {
	s := openTest(t)
	mb, _, err := s.ensureMailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	drop := func(body string) {
		p := filepath.Join(mb.Dir, "new", "note")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Minute)
		os.Chtimes(p, old, old)
	}
	drop("first\n")
	if msgs, _ := mb.Check(CheckOptions{}); bodies(msgs) != "first" {
		t.Fatalf("first check: %q", bodies(msgs))
	}
	drop("second\n")
	if msgs, _ := mb.Check(CheckOptions{}); bodies(msgs) != "second" {
		t.Fatalf("second check: %q", bodies(msgs))
	}
	all, _ := mb.Check(CheckOptions{All: true})
	if len(all) != 2 || !strings.Contains(bodies(all), "first") {
		t.Errorf("cur/ holds %q, want both notes", bodies(all))
	}
}

func TestMoveToNeverOverwrites(t *testing.T) {
	s := openTest(t)
	a, _, _ := s.ensureMailbox("a")
	b, _, _ := s.ensureMailbox("b")
	for _, mb := range []*Mailbox{a, b} {
		os.WriteFile(filepath.Join(mb.Dir, "new", "same"), []byte("from "+mb.Name+"\n"), 0o600)
	}
	if n, err := a.MoveTo(b); err != nil || n != 1 {
		t.Fatalf("MoveTo = %d, %v", n, err)
	}
	if got := files(t, filepath.Join(b.Dir, "new")); len(got) != 2 {
		t.Errorf("b/new holds %v, want two files", got)
	}
}

func TestOwnerLockSymlinkNotFollowed(t *testing.T) {
	s := openTest(t)
	mb, _, _ := s.ensureMailbox("bob")
	victim := filepath.Join(t.TempDir(), "important")
	os.WriteFile(victim, []byte("precious"), 0o600)
	os.Symlink(victim, filepath.Join(mb.Dir, ownerFile))
	if _, err := s.Claim("bob"); err == nil {
		t.Error("claim through a symlinked owner.lock succeeded")
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("symlink target rewritten: %q", b)
	}
}

func TestForwardedDuplicatesDeliverOnce(t *testing.T) {
	s := openTest(t)
	o, _ := s.Claim("old")
	no, err := s.Rename(o, "new")
	if err != nil {
		t.Fatal(err)
	}
	defer no.Release()
	rc, err := s.Send(Draft{From: "x", To: []string{"old", "new"}, Body: "once"})
	if err != nil || len(rc.Delivered) != 1 {
		t.Fatalf("send old,new: %+v %v", rc, err)
	}
	if n, _ := mustMailbox(t, s, "new").Unread(); n != 1 {
		t.Errorf("new has %d copies, want 1", n)
	}
}

func TestUnreadableMailIsQuarantinedNotStuck(t *testing.T) {
	s := openTest(t)
	mb, _, _ := s.ensureMailbox("bob")
	nested := "From: x@y\nSubject: nested\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=OUT\n\n" +
		"--OUT\nContent-Type: multipart/alternative; boundary=IN\n\n--IN\nContent-Type: text/plain\n\nthe text\n--IN--\n--OUT--\n"
	broken := "From: x@y\nContent-Type: multipart/mixed; boundary=B\n\nno parts at all\n"
	os.WriteFile(filepath.Join(mb.Dir, "new", "nested"), []byte(nested), 0o600)
	os.WriteFile(filepath.Join(mb.Dir, "new", "broken"), []byte(broken), 0o600)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(filepath.Join(mb.Dir, "new", "broken"), old, old)
	os.Chtimes(filepath.Join(mb.Dir, "new", "nested"), old, old)
	msgs, err := mb.Check(CheckOptions{})
	if bodies(msgs) != "the text" {
		t.Errorf("nested multipart read as %q", bodies(msgs))
	}
	if err == nil {
		t.Error("broken message not reported")
	}
	if n, _ := mb.Unread(); n != 0 {
		t.Errorf("%d messages stuck in new/", n)
	}
	if q := files(t, filepath.Join(s.Root, "quarantine")); len(q) != 2 {
		t.Errorf("quarantine holds %v, want the broken message and its .why", q)
	}
}

func TestFileBeingWrittenIsLeftAlone(t *testing.T) {
	s := openTest(t)
	mb, _, _ := s.ensureMailbox("bob")
	os.WriteFile(filepath.Join(mb.Dir, "new", "inplace"), nil, 0o600) // just created by a careless writer
	if msgs, err := mb.Check(CheckOptions{}); len(msgs) != 0 || err != nil {
		t.Errorf("empty fresh file read as mail: %d, %v", len(msgs), err)
	}
	if n, _ := mb.Unread(); n != 1 {
		t.Error("the file being written was moved")
	}
}

func TestOpenRefusesReadableByOthers(t *testing.T) {
	root := filepath.Join(t.TempDir(), "spool")
	mustMkdir(t, root)
	os.Chmod(root, 0o755)
	if _, err := Open(root); !errors.Is(err, ErrUnsafe) {
		t.Errorf("0755 spool: %v, want ErrUnsafe", err)
	}
}

func TestHeadersStayReadable(t *testing.T) {
	for _, tc := range []struct{ name, subject string }{
		{"no spaces", strings.Repeat("x", 1500)},
		{"newline injection", "hi\nBcc: evil@example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			rc, err := s.Send(Draft{From: "unknown", To: []string{"b"}, Subject: tc.subject, Body: "x"})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(rc.Delivered[0].Path)
			head, _, _ := bytes.Cut(raw, []byte("\n\n"))
			for _, line := range strings.Split(string(head), "\n") {
				if len(line) > 998 || strings.HasPrefix(line, "Bcc:") {
					t.Errorf("bad header line %.80q", line)
				}
			}
			msgs, _ := mustMailbox(t, s, "b").Check(CheckOptions{})
			if msgs[0].From != "unknown" {
				t.Errorf("an agent called unknown became anonymous: %q", msgs[0].From)
			}
		})
	}
}

func TestForeignMessageIDsKeepTheirHost(t *testing.T) {
	s := openTest(t)
	mb, _, _ := s.ensureMailbox("bob")
	raw := "From: zoe@other.example\nTo: bob@here\nSubject: hi\nMessage-ID: <CAF123@mail.other.example>\n\nhello\n"
	os.WriteFile(filepath.Join(mb.Dir, "new", "foreign"), []byte(raw), 0o600)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(filepath.Join(mb.Dir, "new", "foreign"), old, old)
	msgs, _ := mb.Check(CheckOptions{})
	m, _, err := s.compose(Draft{From: "bob", To: []string{"zoe"}, Body: "answer", ReplyTo: msgs[0]})
	if err != nil {
		t.Fatal(err)
	}
	out := string(m.Format("here"))
	if !strings.Contains(out, "In-Reply-To: <CAF123@mail.other.example>") {
		t.Errorf("reply lost the original's host:\n%s", out)
	}
}

func TestRenameRules(t *testing.T) {
	s := openTest(t)
	for _, n := range []string{"bob", "dave"} {
		o, _ := s.Claim(n)
		o.Release()
	}
	dave, _ := s.Claim("dave")
	if _, err := s.Rename(dave, "bob"); !errors.Is(err, ErrNameTaken) || !strings.Contains(err.Error(), "existing name") {
		t.Errorf("rename onto a registered name = %v", err)
	}
	if n, _ := mustMailbox(t, s, "bob").Unread(); n != 0 {
		t.Error("refused rename moved mail")
	}
	bobby, err := s.Rename(dave, "bobby")
	if err != nil {
		t.Fatal(err)
	}
	bobby.Release()
	again, _ := s.Claim("dave") // the old name, claimed again at once
	if _, err := s.Rename(again, "dave2"); !errors.Is(err, ErrTooSoon) || !strings.Contains(err.Error(), "dave was renamed to bobby") {
		t.Errorf("renaming the old name again within the hour = %v", err)
	}
}

func TestFindIDs(t *testing.T) {
	s := openTest(t)
	rc, _ := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x"})
	mb := mustMailbox(t, s, "b")
	os.WriteFile(filepath.Join(mb.Dir, "new", "x2"), []byte("dropped\n"), 0o600)
	for _, tc := range []struct {
		id   string
		want error
	}{
		{rc.ID, nil}, {rc.ID[:4], nil}, {"<" + rc.ID + "@host>", nil}, {"x2", nil},
		{rc.ID[:3], ErrBadID}, {"", ErrBadID}, {"ffffff", ErrNotFound},
	} {
		_, err := mb.Find(tc.id)
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("Find(%q) = %v, want %v", tc.id, err, tc.want)
		}
	}
}

func TestDropInOpenForWritingWaits(t *testing.T) {
	s := openTest(t)
	path := filepath.Join(s.OutboxDir(), "slow")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("To: bob\nSubject: half\n\nfirst half")
	if _, err := s.RouteOutbox("slow"); !errors.Is(err, ErrBusy) {
		t.Fatalf("routing a file still open for writing = %v, want ErrBusy", err)
	}
	if n, _ := mustMailbox(t, s, "bob").Unread(); n != 0 {
		t.Fatal("half-written drop-in delivered")
	}
	f.WriteString(", second half\n")
	f.Close()
	if _, err := s.RouteOutbox("slow"); err != nil {
		t.Fatal(err)
	}
	msgs, _ := mustMailbox(t, s, "bob").Check(CheckOptions{})
	if bodies(msgs) != "first half, second half" {
		t.Errorf("routed %q", bodies(msgs))
	}
}

func TestForwardDrainNeverOverwrites(t *testing.T) {
	s := openTest(t)
	bob, _, _ := s.ensureMailbox("bob")
	os.WriteFile(filepath.Join(bob.NewDir(), "note"), []byte("bob's own\n"), 0o600)
	// alice was renamed to bob; a script then drops a "note" of its own
	// into alice's new/.
	alice, _, _ := s.ensureMailbox("alice")
	s.setForward("alice", "bob", s.Now().Add(time.Hour))
	os.WriteFile(filepath.Join(alice.NewDir(), "note"), []byte("alice's\n"), 0o600)
	if _, err := s.ApplyForwards(); err != nil {
		t.Fatal(err)
	}
	msgs, _ := bob.Check(CheckOptions{})
	if got := bodies(msgs); !strings.Contains(got, "bob's own") || !strings.Contains(got, "alice's") {
		t.Errorf("bob reads %q, want both notes", got)
	}
}

func TestOldFileMovedInIsNotExpiredAtOnce(t *testing.T) {
	s := openTest(t)
	ghost, _, _ := s.ensureMailbox("ghost")
	p := filepath.Join(ghost.NewDir(), "old.eml")
	os.WriteFile(p, []byte("written long ago\n"), 0o600)
	old := time.Now().Add(-30 * 24 * time.Hour)
	os.Chtimes(p, old, old) // as mv keeps the mtime of a file written long ago
	if n, err := s.ExpireOrphans(); n != 0 || err != nil {
		t.Errorf("ExpireOrphans = %d, %v; a file moved in just now must wait 7 days", n, err)
	}
}

// linkAfterCreateFS swaps a link in for the new/ of a mailbox just
// renamed into place, as another user could between its creation and
// the hold that follows it.
type linkAfterCreateFS struct {
	FS
	box string
}

func (l linkAfterCreateFS) Rename(o, n string) error {
	if err := l.FS.Rename(o, n); err != nil {
		return err
	}
	if filepath.Base(n) == l.box {
		if err := os.Remove(filepath.Join(n, "new")); err != nil {
			return err
		}
		return os.Symlink(os.TempDir(), filepath.Join(n, "new"))
	}
	return nil
}

// noMkdirFS fails the Mkdir of a mailbox being built, as a full disk
// does.
type noMkdirFS struct{ FS }

func (n noMkdirFS) Mkdir(name string, perm os.FileMode) error {
	if strings.HasPrefix(filepath.Base(name), ".new-") {
		return &os.PathError{Op: "mkdir", Path: name, Err: syscall.ENOSPC}
	}
	return n.FS.Mkdir(name, perm)
}

// TestEnsureHeldFails: a mailbox that cannot be made, or is found unsafe
// when held again after it was made, is an error of the send, not a
// panic (the error returns once let go of a nil function).
func TestEnsureHeldFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   FS
		want error
	}{
		{"cannot make", noMkdirFS{FS: OS}, syscall.ENOSPC},
		{"link after making", linkAfterCreateFS{FS: OS, box: "bob"}, ErrUnsafe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, WithFS(tc.fs))
			mb, release, _, err := s.ensureHeld("bob")
			if err == nil {
				release()
				t.Fatalf("ensureHeld gave %s", mb.Dir)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("ensureHeld: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestGlanceRefusesLink: a glance at a mailbox with a link for its cur/
// says the mailbox is unsafe, as every other operation does, instead of
// panicking on the mailbox it could not hold.
func TestGlanceRefusesLink(t *testing.T) {
	s := openTest(t)
	other, _, err := s.ensureMailbox("alice")
	if err != nil {
		t.Fatal(err)
	}
	mb, _, err := s.ensureMailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(mb.Dir, "cur")
	if err := os.Remove(cur); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other.CurDir(), cur); err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Glance(5, time.Time{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Glance: %v, want ErrUnsafe", err)
	}
}
