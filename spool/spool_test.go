package spool

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/inplace"
	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/internal/testkit"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *testClock { return &testClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)} }

// openTest opens a fresh spool with default limits.
func openTest(t *testing.T, opts ...Option) *Spool {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "spool"), append([]Option{WithConfig(DefaultConfig())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// files lists the names in dir (none when it does not exist).
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"alice", true}, {"A-b_9", true}, {strings.Repeat("x", 32), true},
		{"", false}, {strings.Repeat("x", 33), false}, {"a b", false}, {"../x", false},
		{"a/b", false}, {".hidden", false}, {"名前", false}, {"a:b", false},
	} {
		err := ValidName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadName) {
			t.Errorf("ValidName(%q) error %v does not wrap ErrBadName", tc.name, err)
		}
	}
}

func TestOpenCreatesPrivateSpool(t *testing.T) {
	s := openTest(t)
	fi, err := os.Stat(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("spool mode %o, want 700", fi.Mode().Perm())
	}
	for _, d := range []string{"mail", "outbox/new", "outbox/tmp", "forwards", "large", "quarantine"} {
		if fi, err := os.Stat(filepath.Join(s.Root, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s missing: %v", d, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, root string)
		want    error
		says    string
	}{
		{"world writable", func(t *testing.T, root string) {
			mustMkdir(t, root)
			os.Chmod(root, 0o777)
		}, ErrUnsafe, "chmod 700"},
		{"group writable", func(t *testing.T, root string) {
			mustMkdir(t, root)
			os.Chmod(root, 0o770)
		}, ErrUnsafe, "chmod 700"},
		{"a file", func(t *testing.T, root string) {
			os.WriteFile(root, []byte("x"), 0o600)
		}, ErrUnavailable, "not a directory"},
		{"bad config", func(t *testing.T, root string) {
			mustMkdir(t, root)
			os.WriteFile(filepath.Join(root, "config.json"), []byte("{"), 0o600)
		}, ErrUnavailable, "config.json"},
		{"negative rate limit in config", writeConfig(`{"rate_limit": -5}`), ErrBadConfig, "rate_limit is -5"},
		{"negative max_unread in config", writeConfig(`{"max_unread": -1}`), ErrBadConfig, "max_unread is -1"},
		{"zero large_threshold in config", writeConfig(`{"large_threshold": 0}`), ErrBadConfig, "large_threshold is 0"},
		{"unknown field in config", writeConfig(`{"rate_limt": 5}`), ErrBadConfig, `unknown field "rate_limt"`},
		{"wrong type in config", writeConfig(`{"rate_limit": "many"}`), ErrBadConfig, "rate_limit"},
		{"fraction in config", writeConfig(`{"max_unread": 1.5}`), ErrBadConfig, "max_unread"},
		{"two values in config", writeConfig(`{} {}`), ErrBadConfig, "more than one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "spool")
			tc.prepare(t, root)
			_, err := Open(root)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Open = %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
}

// writeConfig prepares a spool whose config.json holds content.
func writeConfig(content string) func(*testing.T, string) {
	return func(t *testing.T, root string) {
		mustMkdir(t, root)
		if err := os.WriteFile(filepath.Join(root, "config.json"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

func TestSendThenCheck(t *testing.T) {
	s := openTest(t)
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "hi bob\nsecond line", Data: json.RawMessage(`{"k": 1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Delivered) != 1 || !rc.Delivered[0].Queued || rc.Delivered[0].Mailbox != "bob" {
		t.Fatalf("receipt %+v: want one delivery queued for bob", rc)
	}
	if got := files(t, filepath.Join(s.Root, "mail/bob/tmp")); len(got) != 0 {
		t.Errorf("tmp/ not empty after delivery: %v", got)
	}
	name := files(t, filepath.Join(s.Root, "mail/bob/new"))
	if len(name) != 1 || !strings.Contains(name[0], "R"+rc.ID+".") || !strings.Contains(name[0], ",S=") {
		t.Fatalf("new/ = %v, want one Maildir name holding R%s and ,S=", name, rc.ID)
	}
	mb, _ := s.Mailbox("bob")
	msgs, err := mb.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("check returned %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "alice" || m.Body != "hi bob\nsecond line" || m.Subject != "hi bob" || string(m.Data) != `{"k": 1}` || m.ID != rc.ID {
		t.Errorf("message %+v", m)
	}
	if !m.Flags.Has(FlagSeen) || !strings.HasSuffix(m.Path, ":2,S") {
		t.Errorf("claimed message at %s flags %q, want cur/…:2,S", m.Path, m.Flags)
	}
	if again, _ := mb.Check(CheckOptions{}); len(again) != 0 {
		t.Errorf("second check returned %d messages", len(again))
	}
	if all, _ := mb.Check(CheckOptions{All: true}); len(all) != 1 {
		t.Errorf("check --all returned %d messages, want 1", len(all))
	}
}

func TestCheckOrderAndPeek(t *testing.T) {
	c := newClock()
	s := openTest(t, WithClock(c.Now))
	for _, body := range []string{"one", "two", "three"} {
		if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: body}); err != nil {
			t.Fatal(err)
		}
		c.Add(-time.Minute) // later sends arrive earlier: order is by arrival, as the names record it
	}
	mb, _ := s.Mailbox("b")
	peek, _ := mb.Check(CheckOptions{Peek: true})
	if got := bodies(peek); got != "three,two,one" {
		t.Fatalf("peek order %s", got)
	}
	if n, _ := mb.Unread(); n != 3 {
		t.Fatalf("peek claimed mail: %d unread", n)
	}
	first, _ := mb.Check(CheckOptions{Limit: 1})
	if got := bodies(first); got != "three" {
		t.Fatalf("limit 1 gave %s", got)
	}
}

// TestLimitReadsOnlyTheOldest holds that a check or give of the oldest N
// reads those N and no other file: a newer file that is not mail stays
// where it is, unread and unquarantined, until a check reaches it.
func TestLimitReadsOnlyTheOldest(t *testing.T) {
	c := newClock()
	s := openTest(t, WithClock(c.Now))
	for _, body := range []string{"one", "two", "three"} {
		if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: body}); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Minute)
	}
	mb := mustMailbox(t, s, "b")
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("do not read"), 0o600)
	// Named as if delivered later, and named with no time (it arrived at
	// its modification time, now: after the test clock's sends).
	os.Symlink(secret, filepath.Join(mb.NewDir(), "4102444800.M0P1Q1.elsewhere"))
	os.Symlink(secret, filepath.Join(mb.NewDir(), "dropped-by-a-script"))
	first, err := mb.Check(CheckOptions{Limit: 1})
	if err != nil || bodies(first) != "one" {
		t.Fatalf("check --limit 1: %q, %v; want one", bodies(first), err)
	}
	var given []*Message
	_, err = mb.Give(context.Background(), CheckOptions{Limit: 1}, func(m *Message) error {
		given = append(given, m)
		return nil
	})
	if err != nil || bodies(given) != "two" {
		t.Fatalf("give --limit 1: %q, %v; want two", bodies(given), err)
	}
	if q := files(t, filepath.Join(s.Root, "quarantine")); len(q) != 0 {
		t.Fatalf("a limited check read newer files: quarantine holds %v", q)
	}
	rest, err := mb.Check(CheckOptions{})
	if bodies(rest) != "three" || err == nil {
		t.Fatalf("check: %q, %v; want three and the two quarantined", bodies(rest), err)
	}
	if q := files(t, filepath.Join(s.Root, "quarantine")); len(q) != 4 {
		t.Fatalf("quarantine holds %v, want 2 files with 2 .why", q)
	}
}

// claimThenBreak is an FS that, once the first message has been claimed
// (renamed into cur/), removes the message after it and puts a file where
// the mailbox's new/ was: the next listing of the mailbox fails. (Over
// the system's FS a check holds new/ open and lists the same directory
// again; through a wrapping FS it is looked up by path.)
type claimThenBreak struct {
	FS
	next string // the message removed
	once sync.Once
}

func (c *claimThenBreak) RenameNoReplace(o, n string) error {
	err := c.FS.RenameNoReplace(o, n)
	if err == nil && filepath.Base(filepath.Dir(n)) == "cur" {
		c.once.Do(func() {
			mbox := filepath.Dir(filepath.Dir(n))
			os.Remove(c.next)
			os.RemoveAll(filepath.Join(mbox, "new"))
			os.WriteFile(filepath.Join(mbox, "new"), nil, 0o600)
		})
	}
	return err
}

// TestLimitedCheckReturnsWhatItClaimed holds that a check with a limit
// that has claimed a message and then cannot list the mailbox again (it
// passed over a message that went away, and looks further) returns the
// message it claimed with the error: mail marked read is never dropped.
func TestLimitedCheckReturnsWhatItClaimed(t *testing.T) {
	c := newClock()
	brk := &claimThenBreak{FS: OS}
	s := openTest(t, WithClock(c.Now), WithFS(brk))
	var paths []string
	for _, body := range []string{"one", "two", "three"} {
		rc, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, rc.Delivered[0].Path)
		c.Add(time.Minute)
	}
	brk.next = paths[1]
	mb := mustMailbox(t, s, "b")
	got, err := mb.Check(CheckOptions{Limit: 2})
	if bodies(got) != "one" || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("check --limit 2: %q, %v; want one and the mailbox's error", bodies(got), err)
	}
}

// TestOldest holds that Oldest reads only the messages it returns, leaves
// out what skip names, and counts the rest.
func TestOldest(t *testing.T) {
	c := newClock()
	s := openTest(t, WithClock(c.Now))
	var ids []string
	for _, body := range []string{"one", "two", "three", "four"} {
		rc, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ID)
		c.Add(time.Minute)
	}
	mb := mustMailbox(t, s, "b")
	os.Symlink("/", filepath.Join(mb.NewDir(), "4102444800.M0P1Q1.elsewhere"))
	tests := []struct {
		max    int
		skip   func(string) bool
		want   string
		unread int
	}{
		{max: 2, want: "one,two", unread: 5},
		{max: 2, skip: func(id string) bool { return id == ids[0] }, want: "two,three", unread: 4},
		{max: 0, want: "", unread: 5},
	}
	for _, tt := range tests {
		msgs, n, err := mb.Oldest(tt.max, tt.skip)
		if err != nil || bodies(msgs) != tt.want || n != tt.unread {
			t.Errorf("Oldest(%d): %q, %d unread, %v; want %q, %d", tt.max, bodies(msgs), n, err, tt.want, tt.unread)
		}
	}
	if q := files(t, filepath.Join(s.Root, "quarantine")); len(q) != 0 {
		t.Errorf("Oldest read a file it did not return: quarantine holds %v", q)
	}
	if n, _ := mb.Unread(); n != 5 {
		t.Errorf("Unread: %d, want 5", n)
	}
}

func bodies(ms []*Message) string {
	var b []string
	for _, m := range ms {
		b = append(b, strings.TrimSpace(m.Body))
	}
	return strings.Join(b, ",")
}

func TestSendRefusesBadInputBeforeDisk(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Draft
		want error
	}{
		{"bad recipient", Draft{From: "a", To: []string{"no way"}, Body: "x"}, ErrBadName},
		{"bad sender", Draft{From: "../a", To: []string{"b"}, Body: "x"}, ErrBadName},
		{"empty", Draft{From: "a", To: []string{"b"}, Body: " \n"}, ErrEmpty},
		{"no recipient", Draft{From: "a", Body: "x"}, ErrBadName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			if _, err := s.Send(tc.d); !errors.Is(err, tc.want) {
				t.Fatalf("Send = %v, want %v", err, tc.want)
			}
			if names, _ := s.Names(); len(names) != 0 {
				t.Errorf("refused send created mailboxes %v", names)
			}
		})
	}
	s := openTest(t)
	if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x", Data: json.RawMessage(`[1]`)}); err == nil || !errors.Is(err, ErrBadData) {
		t.Errorf("data not an object: %v", err)
	}
}

// faultFS fails one operation with an error, to show that a failure at any
// step leaves no message visible and nothing in tmp/.
type faultFS struct {
	FS
	op  string
	err error
}

type faultFile struct {
	File
	fs *faultFS
}

func (f *faultFS) Create(name string, perm os.FileMode) (File, error) {
	if f.op == "create" && strings.Contains(name, "/tmp/") {
		return nil, &os.PathError{Op: "open", Path: name, Err: f.err}
	}
	fl, err := f.FS.Create(name, perm)
	if err != nil {
		return nil, err
	}
	return faultFile{fl, f}, nil
}

func (f faultFile) Write(p []byte) (int, error) {
	if f.fs.op == "write" {
		n, _ := f.File.Write(p[:len(p)/2]) // a partial write, as a full disk does
		return n, f.fs.err
	}
	return f.File.Write(p)
}

func (f faultFile) Sync() error {
	if f.fs.op == "sync" {
		return f.fs.err
	}
	return f.File.Sync()
}

func (f *faultFS) RenameNoReplace(a, b string) error {
	if f.op == "rename" {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: f.err}
	}
	return f.FS.RenameNoReplace(a, b)
}

func (f *faultFS) Rename(a, b string) error {
	if f.op == "rename" {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: f.err}
	}
	return f.FS.Rename(a, b)
}

func TestDeliveryFailureLeavesNothing(t *testing.T) {
	for _, op := range []string{"create", "write", "sync", "rename"} {
		for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EACCES, syscall.EIO} {
			t.Run(op+"/"+errno.Error(), func(t *testing.T) {
				s := openTest(t)
				if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "kept"}); err != nil {
					t.Fatal(err)
				}
				s.fs = &faultFS{FS: OS, op: op, err: errno}
				_, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "lost"})
				if !errors.Is(err, errno) {
					t.Fatalf("Send = %v, want %v", err, errno)
				}
				if !strings.Contains(err.Error(), "deliver to") {
					t.Errorf("error %q does not say what failed", err)
				}
				if got := files(t, filepath.Join(s.Root, "mail/b/tmp")); len(got) != 0 {
					t.Errorf("tmp/ holds %v after a failed delivery", got)
				}
				s.fs = OS
				mb, _ := s.Mailbox("b")
				msgs, err := mb.Check(CheckOptions{})
				if err != nil || bodies(msgs) != "kept" {
					t.Errorf("after failure: %q, %v; want only the message delivered before", bodies(msgs), err)
				}
			})
		}
	}
}

func TestRateLimit(t *testing.T) {
	c := newClock()
	cfg := DefaultConfig()
	cfg.RatePerMinute = 3
	s := openTest(t, WithClock(c.Now), WithConfig(cfg))
	send := func() error { _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x"}); return err }
	for i := 0; i < 3; i++ {
		if err := send(); err != nil {
			t.Fatal(err)
		}
		c.Add(10 * time.Second)
	}
	err := send()
	var le *LimitError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &le) {
		t.Fatalf("4th send = %v, want rate limited", err)
	}
	if le.RetryAfter != 30*time.Second || !strings.Contains(err.Error(), "retry in 30 s") {
		t.Errorf("retry after %s (%v), want 30s", le.RetryAfter, err)
	}
	if n, _ := mustMailbox(t, s, "b").Unread(); n != 3 {
		t.Errorf("refused message was delivered: %d unread", n)
	}
	c.Add(31 * time.Second)
	if err := send(); err != nil {
		t.Errorf("after the window: %v", err)
	}
	if err := func() error {
		_, err := s.Send(Draft{From: "other", To: []string{"b"}, Body: "x"})
		return err
	}(); err != nil {
		t.Errorf("another sender limited too: %v", err)
	}
}

func TestRateLimitAcrossSpools(t *testing.T) {
	// Two Spool values on one root stand for two processes.
	cfg := DefaultConfig()
	cfg.RatePerMinute = 50
	s1 := openTest(t, WithConfig(cfg))
	s2, err := Open(s1.Root, WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 80; i++ {
		wg.Add(1)
		go func(s *Spool) {
			defer wg.Done()
			if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x"}); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}([]*Spool{s1, s2}[i%2])
	}
	wg.Wait()
	if ok != 50 {
		t.Errorf("%d sends accepted, want exactly 50", ok)
	}
}

func mustMailbox(t *testing.T, s *Spool, name string) *Mailbox {
	t.Helper()
	mb, err := s.Mailbox(name)
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

func TestQuota(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxUnread = 2
	s := openTest(t, WithConfig(cfg))
	for i := 0; i < 2; i++ {
		if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x"})
	if !errors.Is(err, ErrQuota) {
		t.Fatalf("third = %v, want ErrQuota", err)
	}
	mb := mustMailbox(t, s, "b")
	mb.Check(CheckOptions{Limit: 1})
	if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "x"}); err != nil {
		t.Errorf("after reading one: %v", err)
	}
}

func TestClaimExcludes(t *testing.T) {
	s := openTest(t)
	o, err := s.Claim("alice")
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Presence("alice"); !p.Online || p.PID != os.Getpid() {
		t.Errorf("presence %+v, want online with our pid", p)
	}
	_, err = s.Claim("alice")
	var te *TakenError
	if !errors.As(err, &te) || te.PID != os.Getpid() || !errors.Is(err, ErrNameTaken) {
		t.Fatalf("second claim = %v, want TakenError naming pid %d", err, os.Getpid())
	}
	if err := o.Release(); err != nil {
		t.Fatal(err)
	}
	if p := s.Presence("alice"); p.Online {
		t.Errorf("still online after release: %+v", p)
	}
	o2, err := s.Claim("alice")
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	o2.Release()
	if _, err := os.Stat(filepath.Join(s.Root, "mail/alice/owner.lock")); err != nil {
		t.Errorf("owner.lock must stay: %v", err)
	}
}

func TestForwardAndRename(t *testing.T) {
	c := newClock()
	s := openTest(t, WithClock(c.Now))
	for _, n := range []string{"old", "carol"} {
		o, err := s.Claim(n)
		if err != nil {
			t.Fatal(err)
		}
		o.Release()
	}
	if _, err := s.Send(Draft{From: "carol", To: []string{"old"}, Body: "before"}); err != nil {
		t.Fatal(err)
	}
	o, _ := s.Claim("old")
	no, err := s.Rename(o, "new")
	if err != nil {
		t.Fatal(err)
	}
	defer no.Release()
	if s.Presence("old").Online || !s.Presence("new").Online {
		t.Error("after rename old must be offline and new online")
	}
	rc, err := s.Send(Draft{From: "carol", To: []string{"old"}, Body: "after"})
	if err != nil || !rc.Delivered[0].Forwarded || rc.Delivered[0].Mailbox != "new" {
		t.Fatalf("send to old after rename: %+v, %v", rc, err)
	}
	got, _ := mustMailbox(t, s, "new").Check(CheckOptions{})
	if bodies(got) != "before,after" {
		t.Errorf("new's mail: %q, want before,after", bodies(got))
	}
	notice, _ := mustMailbox(t, s, "carol").Check(CheckOptions{})
	if len(notice) != 1 || !strings.Contains(notice[0].Body, "📝 old renamed to new") {
		t.Errorf("carol's notice: %q", bodies(notice))
	}
	if _, err := s.Rename(no, "newer"); !errors.Is(err, ErrTooSoon) {
		t.Errorf("second rename within the hour = %v, want ErrTooSoon", err)
	}
	c.Add(2*time.Hour + time.Second)
	if got := s.Resolve("old"); got != "old" {
		t.Errorf("forward still live after 2 h: %s", got)
	}
}

func TestRenameRefusesTakenName(t *testing.T) {
	s := openTest(t)
	held, _ := s.Claim("taken")
	defer held.Release()
	o, _ := s.Claim("me")
	if _, err := s.Rename(o, "taken"); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("rename onto a held name = %v", err)
	}
	if _, ok := s.Forward("me"); ok {
		t.Error("refused rename left a forward")
	}
}

func TestLargeMessage(t *testing.T) {
	s := openTest(t)
	body := strings.Repeat("line of a long report ✓\n", 1000)
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if rc.LargeFile == "" || !strings.Contains(filepath.Base(rc.LargeFile), "_alice_bob_"+rc.ID+".md") {
		t.Fatalf("large file %q", rc.LargeFile)
	}
	fi, err := os.Stat(rc.LargeFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("large file: %v, mode %v", err, fi)
	}
	full, _ := os.ReadFile(rc.LargeFile)
	if !strings.HasPrefix(string(full), "From: alice\nTo: bob\nTime: ") || !strings.HasSuffix(string(full), body) {
		t.Errorf("large file content starts %q", string(full[:60]))
	}
	msgs, _ := mustMailbox(t, s, "bob").Check(CheckOptions{})
	m := msgs[0]
	if m.LargeFile != rc.LargeFile || m.LargeSize != int64(len(body)) || len(m.Body) > 2048 || !strings.Contains(m.Body, rc.LargeFile) {
		t.Errorf("message: large %q size %d body %d bytes", m.LargeFile, m.LargeSize, len(m.Body))
	}
}

func TestBroadcastAndReply(t *testing.T) {
	s := openTest(t)
	for _, n := range []string{"a", "b", "c"} {
		o, _ := s.Claim(n)
		o.Release()
	}
	rc, err := s.Broadcast("a", "all hands", nil)
	if err != nil || len(rc.Delivered) != 2 {
		t.Fatalf("broadcast: %+v %v", rc, err)
	}
	if n, _ := mustMailbox(t, s, "a").Unread(); n != 0 {
		t.Error("sender got its own broadcast")
	}
	if _, err := s.Reply("c", rc.ID, "seen it", nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := mustMailbox(t, s, "c").Unread(); n != 1 {
		t.Errorf("replying to an unread message hid it: %d unread", n)
	}
	mustMailbox(t, s, "b").Check(CheckOptions{})
	r1, err := s.Reply("b", rc.ID[:6], "roger", nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.Reply("a", r1.ID, "thanks", nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := mustMailbox(t, s, "b").Check(CheckOptions{All: true})
	var last *Message
	for _, m := range msgs {
		if m.ID == r2.ID {
			last = m
		}
		if m.ID == rc.ID && !m.Flags.Has(FlagReplied) {
			t.Errorf("answered message not flagged replied: %q", m.Flags)
		}
	}
	if last == nil || last.InReplyTo != r1.ID || strings.Join(last.References, " ") != rc.ID+" "+r1.ID || last.Thread() != rc.ID {
		t.Fatalf("reply threading: %+v", last)
	}
	if last.Subject != "Re: all hands" {
		t.Errorf("subject %q", last.Subject)
	}
	if _, err := s.Reply("b", "ffffffff", "x", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("reply to unknown id = %v", err)
	}
}

func TestConcurrentChecksClaimEachOnce(t *testing.T) {
	s := openTest(t)
	const n = 200
	for i := 0; i < n; i++ {
		if _, err := s.Send(Draft{To: []string{"b"}, Body: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	claimRacing(t, s.Root, "b", n, 7)
}

func TestUnsafeFilesQuarantined(t *testing.T) {
	s := openTest(t)
	if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "good"}); err != nil {
		t.Fatal(err)
	}
	newDir := filepath.Join(s.Root, "mail/b/new")
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("do not read"), 0o600)
	os.Symlink(secret, filepath.Join(newDir, "link"))
	testkit.Mkfifo(filepath.Join(newDir, "fifo")) // none on Windows: the rest still counts
	os.Mkdir(filepath.Join(newDir, "dir"), 0o700)
	msgs, err := mustMailbox(t, s, "b").Check(CheckOptions{})
	if bodies(msgs) != "good" {
		t.Errorf("got %q, want only the good message", bodies(msgs))
	}
	if err == nil || !strings.Contains(err.Error(), "quarantined") {
		t.Errorf("error %v does not report the quarantine", err)
	}
	q := files(t, filepath.Join(s.Root, "quarantine"))
	if len(q) != 6 {
		t.Errorf("quarantine holds %v, want 3 files with 3 .why", q)
	}
	if b, _ := os.ReadFile(secret); string(b) != "do not read" {
		t.Error("symlink target was touched")
	}
}

func TestSignature(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Secret = "s3cret"
	s := openTest(t, WithConfig(cfg))
	if _, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "signed"}); err != nil {
		t.Fatal(err)
	}
	// A forger without the secret writes a plausible message.
	other, _ := Open(s.Root, WithConfig(DefaultConfig()))
	if _, err := other.Send(Draft{From: "a", To: []string{"b"}, Body: "forged"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := mustMailbox(t, s, "b").Check(CheckOptions{})
	if bodies(msgs) != "signed" || err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("got %q, %v: want only the signed message and a signature error", bodies(msgs), err)
	}
}

// TestDropInWrittenInPlacePauses is a script writing a message in place
// into new/ and pausing between its halves: while it still has the file
// open, check shows nothing (the one in-place rule, internal/inplace), and
// once it closes the file the whole message is shown, once.
func TestDropInWrittenInPlacePauses(t *testing.T) {
	s := openTest(t)
	mb, err := s.EnsureMailbox("b")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(mb.NewDir(), "by-hand")
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString("Subject: halves\n\nfirst half"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * inplace.Quiet) // a long pause: the file looks quiet
	os.Chtimes(path, old, old)
	if f, _ := os.Open(path); f != nil {
		_, known := platform.OpenForWriting(f)
		f.Close()
		if !known {
			t.Skip("this system cannot tell whether a file is open for writing; a pause longer than inplace.Quiet is not caught here")
		}
	}
	msgs, err := mb.Check(CheckOptions{})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("while being written: %d messages (%q), %v; want none", len(msgs), bodies(msgs), err)
	}
	if _, err := w.WriteString(", second half"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	msgs, err = mb.Check(CheckOptions{})
	if err != nil || len(msgs) != 1 || bodies(msgs) != "first half, second half" {
		t.Fatalf("once closed: %q, %v; want the whole message", bodies(msgs), err)
	}
}

// claimRacing has four readers, each with a spool of its own, check name's
// mailbox under root limit messages at a time until it is empty, and fails
// t unless each of the n messages went to exactly one of them.
func claimRacing(t *testing.T, root, name string, n, limit int) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s2, _ := Open(root, WithConfig(DefaultConfig()))
			mb := mustMailbox(t, s2, name)
			for {
				msgs, _ := mb.Check(CheckOptions{Limit: limit})
				if len(msgs) == 0 {
					return
				}
				mu.Lock()
				for _, m := range msgs {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct messages claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s claimed %d times", id, c)
		}
	}
}
