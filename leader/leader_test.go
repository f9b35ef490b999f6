package leader

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// running is a leader.Run in a goroutine of the test.
type running struct {
	cancel context.CancelFunc
	done   chan error
	led    chan spool.Holder
	log    *testkit.Buffer // safe for the leader's goroutine
	once   sync.Once
}

func start(t *testing.T, sp *spool.Spool, opts Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), led: make(chan spool.Holder, 1), log: &testkit.Buffer{}}
	opts.Logger = slog.New(slog.NewTextHandler(r.log, nil))
	opts.OnLead = func(i spool.Holder) { r.led <- i }
	go func() { r.done <- Run(ctx, sp, opts) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the leader and waits for Run to return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	})
}

func (r *running) leads(t *testing.T) {
	t.Helper()
	select {
	case <-r.led:
	case <-time.After(10 * time.Second):
		t.Fatal("never became leader")
	}
}

func open(t *testing.T, root string) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(root, spool.WithConfig(spool.DefaultConfig()))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// until polls cond for up to 10 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, what, 10*time.Second, 2*time.Millisecond, cond)
}

// drop puts a message for to into outbox/new/, by rename as a script should.
func drop(t *testing.T, sp *spool.Spool, name, to string) {
	t.Helper()
	tmp := filepath.Join(sp.Root, "outbox", "tmp", name)
	body := fmt.Sprintf("From: script@h\nTo: %s\nSubject: %s\nMessage-ID: <%s@h>\n\nhi\n", to, name, name)
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(sp.OutboxDir(), name)); err != nil {
		t.Fatal(err)
	}
}

func unread(t *testing.T, sp *spool.Spool, name string) int {
	t.Helper()
	mb, err := sp.Mailbox(name)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := mb.Unread()
	return n
}

func TestOneLeaderAtATimeAndHandover(t *testing.T) {
	root := filepath.Join(t.TempDir(), "spool")
	a, b := open(t, root), open(t, root)
	drop(t, a, "before", "bob") // present before anyone leads: the first pass routes it
	ra := start(t, a, Options{Retry: 20 * time.Millisecond})
	ra.leads(t)
	rb := start(t, b, Options{Retry: 20 * time.Millisecond})
	until(t, "the first drop-in routed", func() bool { return unread(t, a, "bob") == 1 })
	drop(t, a, "during", "bob, carol")
	until(t, "the second drop-in routed", func() bool {
		select {
		case <-rb.led: // b tries every 20 ms meanwhile
			t.Fatal("two leaders at once")
		default:
		}
		return unread(t, a, "bob") == 2 && unread(t, a, "carol") == 1
	})
	ra.stop(t)
	rb.leads(t)
	drop(t, a, "after", "carol")
	until(t, "routed by the new leader", func() bool { return unread(t, a, "carol") == 2 })
	// The log line follows the delivery.
	until(t, "each leader's log of its routing", func() bool {
		return strings.Contains(ra.log.String(), "msg=routed file=during") && strings.Contains(rb.log.String(), "msg=routed file=after")
	})
	if left, _ := a.Outbox(); len(left) != 0 {
		t.Errorf("outbox holds %v", left)
	}
}

func TestLeaderFollowsForwards(t *testing.T) {
	sp := open(t, filepath.Join(t.TempDir(), "spool"))
	o, err := sp.Claim("old")
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, sp, Options{})
	r.leads(t)
	no, err := sp.Rename(o, "new") // records the forward old → new
	if err != nil {
		t.Fatal(err)
	}
	defer no.Release()
	// A script delivers straight into old/new/, ignoring the forward. The
	// periodic sweep is 30 s away: only the watch on old's new/ (added when
	// the forward appeared) can move it in time.
	tmp := filepath.Join(sp.Root, "mail", "old", "tmp", "x")
	if err := os.WriteFile(tmp, []byte("hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(sp.Root, "mail", "old", "new", "late.txt")); err != nil {
		t.Fatal(err)
	}
	until(t, "the message to move along the forward", func() bool { return unread(t, sp, "old") == 0 })
	if unread(t, sp, "new") != 1 {
		t.Errorf("new has %d unread, want the forwarded message", unread(t, sp, "new"))
	}
	until(t, "the log", func() bool { return strings.Contains(r.log.String(), "msg=forwarded") })
}

func TestRunStopsWithoutLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	sp := open(t, filepath.Join(t.TempDir(), "spool"))
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- Run(ctx, sp, Options{}) }()
		time.Sleep(50 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// A Run that never leads stops too.
	l, ok, err := sp.TryLead()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := Run(ctx, open(t, sp.Root), Options{}); err != nil {
		t.Fatal(err)
	}
	l.Release()
	until(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// TestLeaderKeepsUnseenIndex: the leader indexes the unread files of cur/
// at start and follows a mail client moving listed mail there, so readers
// need not list cur/.
func TestLeaderKeepsUnseenIndex(t *testing.T) {
	sp := open(t, filepath.Join(t.TempDir(), "spool"))
	mb, err := sp.EnsureMailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mb.CurDir(), "1700000000.M1P1Q1.h:2,F"), []byte("Subject: listed\n\nlisted\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := start(t, sp, Options{})
	r.leads(t)
	until(t, "the start listing indexed", func() bool {
		names, trusted := mb.UnseenIndex()
		return trusted && len(names) == 1
	})
	// A client lists a new message: new/ → cur/ without S.
	if err := os.WriteFile(filepath.Join(mb.NewDir(), "1700000001.M1P1Q2.h"), []byte("Subject: fresh\n\nfresh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(mb.NewDir(), "1700000001.M1P1Q2.h"), filepath.Join(mb.CurDir(), "1700000001.M1P1Q2.h:2,")); err != nil {
		t.Fatal(err)
	}
	until(t, "the listed message indexed", func() bool {
		names, trusted := mb.UnseenIndex()
		return trusted && slices.Contains(names, "1700000001.M1P1Q2.h:2,")
	})
	if n, err := mb.Unread(); err != nil || n != 2 {
		t.Fatalf("Unread = %d, %v; want 2", n, err)
	}
	r.stop(t)
	if _, trusted := mb.UnseenIndex(); trusted {
		t.Error("the index of a stopped leader is still trusted")
	}
}

// TestBusyRetryWhileEventsArrive renames a drop-in into outbox/new/ while
// its writer still has it open (the leader finds it busy), then keeps other
// drop-ins arriving faster than busyRetry: the busy one must still be
// routed once its writer closes it, while the others keep coming, not only
// when the spool falls quiet.
func TestBusyRetryWhileEventsArrive(t *testing.T) {
	sp := open(t, filepath.Join(t.TempDir(), "spool"))
	r := start(t, sp, Options{})
	r.leads(t)
	tmp := filepath.Join(sp.Root, "outbox", "tmp", "busy")
	w, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if probe, _ := os.Open(tmp); probe != nil {
		_, known := platform.OpenForWriting(probe)
		probe.Close()
		if !known {
			t.Skip("this system cannot tell whether a file is open for writing: the leader never finds a renamed-in file busy")
		}
	}
	fmt.Fprintf(w, "From: script@h\nTo: bob\nSubject: busy\nMessage-ID: <busy@h>\n\nhi\n")
	if err := os.Rename(tmp, filepath.Join(sp.OutboxDir(), "busy")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	streamed := make(chan struct{})
	go func() { // other mail, every 5 ms, until told to stop
		defer close(streamed)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			drop(t, sp, fmt.Sprintf("other%d", i), "carol")
		}
	}()
	defer func() { close(stop); <-streamed }()
	until(t, "the other drop-ins to be routed", func() bool { return unread(t, sp, "carol") >= 5 })
	if n := unread(t, sp, "bob"); n != 0 {
		t.Fatalf("routed while its writer had it open: bob has %d", n)
	}
	w.Close()
	before := unread(t, sp, "carol")
	until(t, "the busy drop-in to be routed", func() bool { return unread(t, sp, "bob") == 1 })
	// busyRetry is 40 of the others' intervals: far fewer than 200 of them
	// may arrive before the retry fires.
	if n := unread(t, sp, "carol") - before; n >= 200 {
		t.Errorf("the busy drop-in was routed only after %d others: its retry waited for a quiet moment", n)
	}
}
