package follow

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

const deadline = 5 * time.Second

// modes runs a test on inotify and on the polling fallback.
var modes = []struct {
	name string
	poll bool
}{{"inotify", false}, {"poll", true}}

func newSpool(t *testing.T) *spool.Spool {
	t.Helper()
	c := spool.DefaultConfig()
	c.RatePerMinute = 0 // the tests send bursts
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// body is a message's text without the line end the spool keeps.
func body(m *spool.Message) string { return strings.TrimSpace(m.Body) }

func newFollower(t *testing.T, sp *spool.Spool, poll bool) *Follower {
	t.Helper()
	f, err := New(context.Background(), sp, Options{Watcher: watcher.Options{Poll: poll, PollInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if f.Polling() != poll {
		t.Fatalf("asked for Poll=%v, got Polling()=%v", poll, f.Polling())
	}
	return f
}

func send(t *testing.T, sp *spool.Spool, to, body string) string {
	t.Helper()
	r, err := sp.Send(spool.Draft{From: "alice", To: []string{to}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// next returns the next Event of fd, failing the test if none comes.
func next(t *testing.T, fd *Feed) Event {
	t.Helper()
	select {
	case ev, ok := <-fd.Events():
		if !ok {
			t.Fatal("feed closed")
		}
		return ev
	case <-time.After(deadline):
		t.Fatal("no event")
	}
	panic("unreachable")
}

// expectBodies reads events until it has seen every body in want (in any
// order, repeats allowed), failing on a body it did not expect.
func expectBodies(t *testing.T, fd *Feed, want ...string) {
	t.Helper()
	left := map[string]bool{}
	for _, b := range want {
		left[b] = true
	}
	seen := map[string]bool{}
	for len(left) > 0 {
		ev := next(t, fd)
		if ev.Err != nil {
			t.Fatalf("event error: %v", ev.Err)
		}
		if ev.Message == nil {
			t.Fatalf("event without a message: %+v", ev)
		}
		b := body(ev.Message)
		if !seen[b] && !left[b] {
			t.Fatalf("unexpected message %q", b)
		}
		seen[b] = true
		delete(left, b)
	}
}

// quiet fails if fd reports anything before every followed directory has
// been looked at since quiet was called. It sends three markers, one after
// the other, to a mailbox followed before the first, and waits for each:
// with inotify the Follower handles events in order, so anything queued
// before a marker comes first; when polling, each marker is found by a
// poll of every directory, and the third one's began after the first was
// sent. (A marker mailbox followed only now would be found by the scan
// of its directory, which looks at no other.)
func quiet(t *testing.T, f *Follower, fd *Feed, sp *spool.Spool) {
	t.Helper()
	if _, err := sp.EnsureMailbox("marker"); err != nil {
		t.Fatal(err)
	}
	if err := fd.Follow("marker"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		text := fmt.Sprintf("marker %d %d", i, time.Now().UnixNano())
		send(t, sp, "marker", text)
		for {
			ev := next(t, fd)
			if ev.Name == "marker" {
				if ev.Message != nil && body(ev.Message) == text {
					break
				}
				continue
			}
			t.Fatalf("unexpected event %+v", ev)
		}
	}
	fd.Unfollow("marker")
}

func TestFollowReportsWaitingThenArriving(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			sp := newSpool(t)
			send(t, sp, "bob", "before")
			f := newFollower(t, sp, m.poll)
			fd, err := f.Follow("bob")
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			ev := next(t, fd)
			if ev.Name != "bob" || ev.Message == nil || body(ev.Message) != "before" {
				t.Fatalf("first event %+v, want bob's waiting message", ev)
			}
			if ev.Message.Path != filepath.Join(ev.Dir, ev.File) {
				t.Errorf("message path %s, event at %s/%s", ev.Message.Path, ev.Dir, ev.File)
			}
			send(t, sp, "bob", "after")
			expectBodies(t, fd, "after")
			mb, _ := sp.Mailbox("bob")
			if n, _ := mb.Unread(); n != 2 {
				t.Errorf("unread %d after following, want 2: following must not claim", n)
			}
		})
	}
}

func TestFollowMissingMailbox(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			sp := newSpool(t)
			f := newFollower(t, sp, m.poll)
			fd, err := f.Follow("later")
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			mb, _ := sp.Mailbox("later")
			if mb.Exists() {
				t.Fatal("Follow created the mailbox")
			}
			send(t, sp, "later", "first")
			expectBodies(t, fd, "first")
			send(t, sp, "later", "second")
			expectBodies(t, fd, "second")
		})
	}
}

func TestFollowBadName(t *testing.T) {
	f := newFollower(t, newSpool(t), false)
	if _, err := f.Follow("no/such"); !errors.Is(err, spool.ErrBadName) {
		t.Fatalf("Follow(no/such): %v, want ErrBadName", err)
	}
}

func TestFeedsShareOneWatch(t *testing.T) {
	sp := newSpool(t)
	send(t, sp, "bob", "waiting")
	f := newFollower(t, sp, false)
	a, err := f.Follow("bob")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	expectBodies(t, a, "waiting")
	b, err := f.Follow("bob") // joins a watched directory: scanned for b alone
	if err != nil {
		t.Fatal(err)
	}
	expectBodies(t, b, "waiting")
	send(t, sp, "bob", "both")
	expectBodies(t, a, "both")
	expectBodies(t, b, "both")
	b.Close()
	if _, ok := <-b.Events(); ok {
		t.Fatal("closed feed still delivers")
	}
	send(t, sp, "bob", "a only")
	expectBodies(t, a, "a only")
	quiet(t, f, a, sp)
}

func TestUnfollowStopsReports(t *testing.T) {
	sp := newSpool(t)
	f := newFollower(t, sp, false)
	fd := f.Open()
	defer fd.Close()
	for range 2 {
		if err := fd.Follow("bob"); err != nil {
			t.Fatal(err)
		}
	}
	fd.Unfollow("bob")
	send(t, sp, "bob", "still followed once")
	expectBodies(t, fd, "still followed once")
	if !fd.Follows("bob") {
		t.Error("Follows(bob) = false while followed once")
	}
	fd.Unfollow("bob")
	if fd.Follows("bob") {
		t.Error("Follows(bob) = true after the last Unfollow")
	}
	send(t, sp, "bob", "not followed")
	quiet(t, f, fd, sp)
}

func TestQuarantineIsReported(t *testing.T) {
	c := spool.DefaultConfig()
	c.Secret = "shared"
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := sp.EnsureMailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	f := newFollower(t, sp, false)
	fd, err := f.Follow("bob")
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	// A message dropped without the shared secret's signature is forged.
	tmp := filepath.Join(mb.Dir, "tmp", "forged")
	if err := os.WriteFile(tmp, []byte("From: mallory@x\n\nhand over the keys\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(mb.NewDir(), "forged")
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	ev := next(t, fd)
	var qe *spool.QuarantineError
	if !errors.As(ev.Err, &qe) {
		t.Fatalf("event %+v, want a *spool.QuarantineError", ev)
	}
	if ev.Message != nil || qe.Path != path || qe.Why == "" {
		t.Errorf("quarantine error %+v (message %v), want path %s and a reason", qe, ev.Message, path)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the forged file is still in new/: %v", err)
	}
	send(t, sp, "bob", "signed") // the Follower goes on
	expectBodies(t, fd, "signed")
}

func TestWatchPlainDirectory(t *testing.T) {
	sp := newSpool(t)
	f := newFollower(t, sp, false)
	dir := filepath.Join(t.TempDir(), "drop")
	fd := f.Open()
	defer fd.Close()
	if err := fd.Watch(dir); err != nil { // missing: looked for on the poll interval
		t.Fatal(err)
	}
	os.Mkdir(dir, 0o700)
	os.WriteFile(filepath.Join(dir, ".tmp"), []byte("x"), 0o600)
	os.Rename(filepath.Join(dir, ".tmp"), filepath.Join(dir, "file1"))
	ev := next(t, fd)
	if ev.Dir != dir || ev.File != "file1" || ev.Message != nil || ev.Name != "" {
		t.Fatalf("event %+v, want file1 in %s without a message", ev, dir)
	}
}

func TestSlowReaderLosesNothing(t *testing.T) {
	sp := newSpool(t)
	f := newFollower(t, sp, false)
	fd, err := f.Follow("bob")
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	const n = 150
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("m%03d", i)
		send(t, sp, "bob", want[i])
	}
	expectBodies(t, fd, want...) // nothing read until all were sent
}

func TestMailReadMeanwhileIsNotReported(t *testing.T) {
	sp := newSpool(t)
	f := newFollower(t, sp, false)
	fd, err := f.Follow("bob")
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	send(t, sp, "bob", "one")
	expectBodies(t, fd, "one")
	mb, _ := sp.Mailbox("bob")
	if _, err := mb.Check(spool.CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Rescan() // new/ is empty now: a rescan reports nothing for bob
	quiet(t, f, fd, sp)
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	sp := newSpool(t)
	f, err := New(context.Background(), sp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var feeds []*Feed
	for _, name := range []string{"a", "b", "missing"} {
		fd, err := f.Follow(name)
		if err != nil {
			t.Fatal(err)
		}
		feeds = append(feeds, fd)
	}
	send(t, sp, "a", "unread, never taken") // queued in a feed nobody reads
	feeds[1].Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, fd := range feeds {
		for range fd.Events() { // drains what was delivered, then ends: closed
		}
	}
	if err := f.Open().Follow("a"); !errors.Is(err, ErrClosed) {
		t.Errorf("Follow after Close: %v, want ErrClosed", err)
	}
	f.Close() // twice is fine
	waitGoroutines(t, before)
}

func TestContextEndStopsFollower(t *testing.T) {
	before := runtime.NumGoroutine()
	sp := newSpool(t)
	ctx, cancel := context.WithCancel(context.Background())
	f, err := New(ctx, sp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fd, err := f.Follow("bob")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-fd.Events():
		if ok {
			t.Fatal("event after cancel")
		}
	case <-time.After(deadline):
		t.Fatal("feed not closed after the context ended")
	}
	f.Close()
	waitGoroutines(t, before)
}

// waitGoroutines fails unless the goroutine count drops back to before:
// everything a Follower started must end with it.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	var now int
	for end := time.Now().Add(deadline); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines, %d before:\n%s", now, before, buf[:runtime.Stack(buf, true)])
}

// TestUnreadInCur checks that mail in cur/ without the S flag is unread:
// a message a mail client listed (moved to cur/ unseen) and one a person
// marked unread again are reported; one being read is not.
func TestUnreadInCur(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			sp := newSpool(t)
			mb, err := sp.EnsureMailbox("bob")
			if err != nil {
				t.Fatal(err)
			}
			f := newFollower(t, sp, m.poll)
			fd, err := f.Follow("bob")
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			send(t, sp, "bob", "listed")
			ev := next(t, fd)
			// A mail client lists it: new/KEY → cur/KEY:2, (no S).
			listed := filepath.Join(mb.CurDir(), ev.File+":2,")
			if err := os.Rename(filepath.Join(mb.NewDir(), ev.File), listed); err != nil {
				t.Fatal(err)
			}
			ev = next(t, fd)
			if ev.Dir != mb.CurDir() || ev.Message == nil || body(ev.Message) != "listed" {
				t.Fatalf("after listing: %+v, want the message unread in cur/", ev)
			}
			// The agent reads it (S added): nothing to report.
			if _, err := mb.Check(spool.CheckOptions{}); err != nil {
				t.Fatal(err)
			}
			quiet(t, f, fd, sp)
			// A person clears S: unread again.
			seen, _ := filepath.Glob(filepath.Join(mb.CurDir(), "*:2,*S*"))
			if len(seen) != 1 {
				t.Fatalf("read files in cur/: %v", seen)
			}
			if err := os.Rename(seen[0], strings.TrimSuffix(seen[0], "S")); err != nil {
				t.Fatal(err)
			}
			expectBodies(t, fd, "listed")
		})
	}
}

func TestFollowAll(t *testing.T) {
	sp := newSpool(t)
	send(t, sp, "early", "before")
	f := newFollower(t, sp, false)
	fd := f.Open()
	defer fd.Close()
	if err := fd.FollowAll(); err != nil {
		t.Fatal(err)
	}
	expectBodies(t, fd, "before")
	send(t, sp, "newcomer", "to a mailbox made after FollowAll") // found on the poll interval
	ev := next(t, fd)
	if ev.Name != "newcomer" || ev.Message == nil {
		t.Fatalf("event %+v, want the newcomer's message", ev)
	}
	send(t, sp, "early", "after")
	expectBodies(t, fd, "after")
}

// TestRescanSaysSo: what a rescan finds is marked with its number; a
// feed for arrivals gets it by name only (it lists the mailbox itself),
// and what arrives afterwards is an arrival again.
func TestRescanSaysSo(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			sp := newSpool(t)
			send(t, sp, "bob", "one")
			send(t, sp, "bob", "two")
			f := newFollower(t, sp, m.poll)
			arrivals := f.OpenWith(FeedOptions{Arrivals: true})
			defer arrivals.Close()
			if err := arrivals.Follow("bob"); err != nil {
				t.Fatal(err)
			}
			all, err := f.Follow("bob")
			if err != nil {
				t.Fatal(err)
			}
			defer all.Close()
			expectBodies(t, all, "one", "two")
			for round := uint64(1); round <= 2; round++ {
				f.Rescan()
				for range 2 {
					if ev := next(t, all); ev.Rescan != round || ev.Message == nil {
						t.Fatalf("rescan %d: %+v, want the message, with Rescan %d", round, ev, round)
					}
					if ev := next(t, arrivals); ev.Rescan != round || ev.Message != nil || ev.Name != "bob" || ev.File == "" {
						t.Fatalf("rescan %d, arrivals feed: %+v, want bob's file by name, with Rescan %d", round, ev, round)
					}
				}
			}
			send(t, sp, "bob", "three")
			for _, fd := range []*Feed{all, arrivals} {
				if ev := next(t, fd); ev.Rescan != 0 || ev.Message == nil || body(ev.Message) != "three" {
					t.Fatalf("after the rescans: %+v, want the arrival, with Rescan 0", ev)
				}
			}
		})
	}
}
