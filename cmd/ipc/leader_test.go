package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// proc is an ipc process running in the background.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *testkit.Buffer // stdout, when not piped
	err  *testkit.Buffer
	done chan struct{}
	code int
}

// start runs ipc with args in the background; stdout is collected unless
// pipe is given, in which case it is returned for reading.
func (w *world) start(args ...string) *proc {
	w.t.Helper()
	p, _ := w.startPiped(false, args...)
	return p
}

func (w *world) startPiped(pipe bool, args ...string) (*proc, io.Reader) {
	w.t.Helper()
	p := &proc{t: w.t, cmd: exec.Command(ipcBin, args...), err: &testkit.Buffer{}, done: make(chan struct{})}
	p.cmd.Env, p.cmd.SysProcAttr = w.env, w.sys
	p.cmd.Stderr = p.err
	var r io.Reader
	if pipe {
		var err error
		if r, err = p.cmd.StdoutPipe(); err != nil {
			w.t.Fatal(err)
		}
	} else {
		p.out = &testkit.Buffer{}
		p.cmd.Stdout = p.out
	}
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
			if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
				p.code = -int(st.Signal())
			}
		}
		close(p.done)
	}()
	w.t.Cleanup(func() { p.kill() })
	return p, r
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// kill ends the process with SIGKILL, as a crash would, and reaps it.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// wait waits up to limit for the process to exit and returns its code;
// past the limit it is killed and the test fails.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(limit):
		p.kill()
		p.t.Fatalf("%v still running after %v; stderr: %s", p.cmd.Args, limit, p.err)
		return 0
	}
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// eventually polls cond for up to 20 s: for conditions another process
// brings about. The limit is generous; speed is measured by benchmarks.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, what, 20*time.Second, 5*time.Millisecond, cond)
}

// putFile writes content to dir/name and returns the path.
func putFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// inotifyWatching reports whether process pid holds an inotify watch on
// dir, from /proc/PID/fdinfo: the proof that it waits on an event.
func inotifyWatching(pid int, dir string) bool {
	ino, ok := inode(dir)
	if !ok {
		return false
	}
	want := fmt.Sprintf(" ino:%x ", ino)
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if link != "anon_inode:inotify" {
			continue
		}
		info, _ := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name()))
		if strings.Contains(string(info), want) {
			return true
		}
	}
	return false
}

// burstForBob registers bob in a new world that polls once an hour and
// puts n messages in his tmp/, ready to be renamed into new/ in order:
// message i has the body "WORD %05d" and a name that sorts as it lands.
func burstForBob(t *testing.T, n int, word string) (w *world, tmp, newDir string, names []string) {
	w = newWorld(t).with("IPC_POLL_INTERVAL=1h")
	w.ok("register", "bob")
	tmp, newDir = w.mailDir("bob", "tmp"), w.mailDir("bob", "new")
	names = make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%d.M%06dP1Q%d.%s", 1700000000+i, i, i, word)
		putFile(t, tmp, names[i], scriptMail(fmt.Sprintf("%c%05d", word[0], i), "bob", fmt.Sprintf("%s %05d", word, i)))
	}
	return w, tmp, newDir, names
}

// scriptMail is a message as a script or an MTA writes it.
func scriptMail(id, to, body string) string {
	return fmt.Sprintf("From: script@example.org\nTo: %s\nSubject: %s\nMessage-ID: <%s@example.org>\n\n%s\n", to, body, id, body)
}

// TestWaitWakes checks that a waiting "ipc wait" returns with the message
// however it is delivered: by ipc send, a script's mv, safecat, maildrop.
// With inotify the watcher's polling is set to once an hour and the wait's
// timeout to a minute, so only an inotify event can wake it in time; the
// test first checks (in /proc) that the process watches the mailbox. With
// IPC_POLL=1 the same deliveries must wake it through the polling fallback,
// and the process must hold no inotify watch on the mailbox.
func TestWaitWakes(t *testing.T) {
	t.Parallel()
	deliveries := []struct {
		name    string
		need    string
		deliver func(t *testing.T, w *world)
	}{
		{"ipc send", "", func(t *testing.T, w *world) {
			w.ok("--as", "alice", "send", "bob", "wake up now")
		}},
		{"mv", "mv", func(t *testing.T, w *world) {
			tmp := putFile(t, w.mailDir("bob", "tmp"), "script-1", scriptMail("mv1", "bob", "wake up now"))
			if out, err := exec.Command("mv", tmp, w.mailDir("bob", "new")+"/").CombinedOutput(); err != nil {
				t.Fatalf("mv: %v %s", err, out)
			}
		}},
		{"safecat", "safecat", func(t *testing.T, w *world) {
			sc := exec.Command("safecat", w.mailDir("bob", "tmp"), w.mailDir("bob", "new"))
			sc.Stdin = strings.NewReader(scriptMail("sc1", "bob", "wake up now"))
			if out, err := sc.CombinedOutput(); err != nil {
				t.Fatalf("safecat: %v %s", err, out)
			}
		}},
		{"maildrop", "maildrop", func(t *testing.T, w *world) {
			filter := putFile(t, t.TempDir(), "filter", fmt.Sprintf("to %q\n", filepath.Dir(w.mailDir("bob", "new"))))
			md := exec.Command("maildrop", filter)
			md.Stdin = strings.NewReader(scriptMail("md1", "bob", "wake up now"))
			if out, err := md.CombinedOutput(); err != nil {
				testkit.SkipEnv(t, "maildrop cannot deliver here: %v %s", err, out)
			}
		}},
	}
	modes := []struct {
		name    string
		env     []string
		inotify bool
	}{
		{"inotify", []string{"IPC_POLL_INTERVAL=1h"}, true},
		{"polling", []string{"IPC_POLL=1", "IPC_POLL_INTERVAL=50ms"}, false},
	}
	for _, m := range modes {
		for _, d := range deliveries {
			t.Run(m.name+"/"+d.name, func(t *testing.T) {
				t.Parallel()
				if d.need != "" {
					need(t, d.need)
				}
				w := newWorld(t).with(m.env...)
				w.ok("register", "bob")
				p := w.start("--as", "bob", "wait", "--timeout", "60s", "--json")
				newDir := w.mailDir("bob", "new")
				if m.inotify {
					eventually(t, "ipc wait to watch bob's new/", func() bool { return inotifyWatching(p.pid(), newDir) })
				} else {
					time.Sleep(300 * time.Millisecond) // let it start (and poll) first
					if inotifyWatching(p.pid(), newDir) {
						t.Fatal("with IPC_POLL=1 the wait still uses inotify")
					}
				}
				if p.exited() {
					t.Fatalf("wait returned before any mail: exit %d, %s", p.code, p.err)
				}
				d.deliver(t, w)
				if code := p.wait(90 * time.Second); code != 0 {
					t.Fatalf("wait exited %d (1 is its timeout: nothing woke it); stderr: %s", code, p.err)
				}
				var msgs []spool.Message
				if err := json.Unmarshal(p.out.Bytes(), &msgs); err != nil {
					t.Fatalf("wait --json: %v\n%s", err, p.out)
				}
				if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "wake up now") {
					t.Fatalf("wait printed %+v", msgs)
				}
				if n := filesIn(t, newDir); len(n) != 0 {
					t.Errorf("wait left %v unread", n)
				}
			})
		}
	}
}

// TestWaitTimesOut checks exit 1 and the one-line message when no mail comes.
func TestWaitTimesOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	r := w.run("--as", "bob", "wait", "--timeout", "200ms")
	if r.code != 1 || r.out != "" || r.err != "ipc: no mail within 200ms\n" {
		t.Fatalf("wait with no mail: %s", r)
	}
	w.ok("--as", "alice", "send", "bob", "already here")
	if r := w.ok("--as", "bob", "wait", "--timeout", "200ms"); !strings.Contains(r.out, "already here") {
		t.Errorf("wait with mail waiting: %s", r)
	}
}

// TestWatchBurstLosesNothing sends a burst of 20,000 messages into the new/
// of a running "ipc watch" whose inotify queue holds only 256 events, so
// the kernel overflows many times: every message must still be printed
// exactly once and marked read.
func TestWatchBurstLosesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		testkit.SkipEnv(t, "shrinking fs.inotify.max_queued_events needs root")
	}
	const sysctl = "/proc/sys/fs/inotify/max_queued_events"
	orig, err := os.ReadFile(sysctl)
	if err != nil {
		testkit.SkipEnv(t, "cannot read %s: %v", sysctl, err)
	}
	n := 20000
	if testing.Short() {
		n = 2000
	}
	w, tmp, newDir, names := burstForBob(t, n, "burst")

	restore := func() { _ = os.WriteFile(sysctl, orig, 0o644) }
	if err := os.WriteFile(sysctl, []byte("256\n"), 0o644); err != nil {
		testkit.SkipEnv(t, "cannot lower %s: %v", sysctl, err)
	}
	t.Cleanup(restore)
	p, out := w.startPiped(true, "--as", "bob", "watch", "--json")
	eventually(t, "ipc watch to watch bob's new/", func() bool { return inotifyWatching(p.pid(), newDir) })
	restore() // the watch keeps the small queue it was created with

	seen := map[string]int{}
	var mu sync.Mutex
	lines := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m spool.Message
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("watch printed a line that is not JSON: %q", sc.Text())
				continue
			}
			mu.Lock()
			seen[m.ID]++
			mu.Unlock()
			select {
			case lines <- struct{}{}:
			default:
			}
		}
	}()
	for _, name := range names {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(newDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
	for deadline := time.Now().Add(3 * time.Minute); count() < n && time.Now().Before(deadline); {
		select {
		case <-lines:
		case <-time.After(time.Second):
		}
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 143 {
		t.Errorf("watch exited %d on SIGTERM, want 143; stderr: %s", code, p.err)
	}
	if !strings.Contains(p.err.String(), "overflow") {
		t.Logf("no inotify queue overflow was reported; stderr: %s", p.err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Fatalf("watch printed %d of %d messages", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s printed %d times", id, c)
		}
	}
	if left := filesIn(t, newDir); len(left) != 0 {
		t.Errorf("%d messages left unread", len(left))
	}
	if read := filesIn(t, w.mailDir("bob", "cur")); len(read) != n {
		t.Errorf("%d messages in cur/, want %d", len(read), n)
	}
}

// TestWatchPrintsInLandingOrder renames a burst of messages into the new/
// of a running "ipc watch", one after another: it must print them in the
// order they landed. (A listing of new/ made during the burst can miss a
// file and return one renamed after it, so a watch that printed what each
// listing found printed some out of order.)
func TestWatchPrintsInLandingOrder(t *testing.T) {
	t.Parallel()
	n := 5000
	if testing.Short() {
		n = 1000
	}
	w, tmp, newDir, names := burstForBob(t, n, "order")
	p, out := w.startPiped(true, "--as", "bob", "watch", "--json")
	eventually(t, "ipc watch to watch bob's new/", func() bool { return inotifyWatching(p.pid(), newDir) })
	printed := make(chan int, n)
	go func() {
		defer close(printed)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m spool.Message
			var i int
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("watch printed a line that is not JSON: %q", sc.Text())
				continue
			}
			if _, err := fmt.Sscanf(m.Body, "order %d", &i); err != nil {
				t.Errorf("watch printed a message not of the burst: %q", sc.Text())
				continue
			}
			printed <- i
		}
	}()
	for _, name := range names {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(newDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	var order []int
	timeout := time.After(3 * time.Minute)
	for len(order) < n {
		select {
		case i, ok := <-printed:
			if !ok {
				t.Fatalf("watch ended after %d of %d; stderr: %s", len(order), n, p.err)
			}
			order = append(order, i)
		case <-timeout:
			t.Fatalf("watch printed %d of %d in 3 minutes", len(order), n)
		}
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 143 {
		t.Errorf("watch exited %d on SIGTERM, want 143; stderr: %s", code, p.err)
	}
	late, highest := 0, -1
	for k, i := range order {
		if i < highest { // landed before one printed earlier
			if late < 5 {
				t.Errorf("printed #%d is message %d, after message %d", k, i, highest)
			}
			late++
		}
		highest = max(highest, i)
	}
	if late > 0 {
		t.Errorf("%d of %d printed out of landing order", late, n)
	}
}

// TestWatchRefusesHeldName checks exit 3 while another process holds the
// name, and that a running watch shows the name online.
func TestWatchRefusesHeldName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	p := w.start("--as", "bob", "watch")
	eventually(t, "bob online", func() bool {
		var infos []spool.NameInfo
		w.checkJSON(&infos, "list")
		return len(infos) == 1 && infos[0].Online && infos[0].PID == p.pid()
	})
	r := w.run("--as", "bob", "watch")
	if r.code != 3 || !strings.Contains(r.err, "held by live process "+strconv.Itoa(p.pid())) {
		t.Errorf("second watch: %s", r)
	}
	w.ok("--as", "alice", "send", "bob", "first")
	eventually(t, "watch to print the message", func() bool { return strings.Contains(p.out.String(), "first") })
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(10 * time.Second); code != 130 {
		t.Errorf("watch exited %d on SIGINT, want 130: %s", code, p.err)
	}
	if n := filesIn(t, w.mailDir("bob", "new")); len(n) != 0 {
		t.Errorf("watch left %v unread", n)
	}
}

// leaderPID returns the pid of the live leader of the spool, or 0.
func (w *world) leaderPID() int {
	sp, err := spool.Open(w.home)
	if err != nil {
		return 0
	}
	info, ok := sp.Leader()
	if !ok {
		return 0
	}
	return info.PID
}

// TestLeaderTakeover drops 2,000 messages for one to three recipients each
// into outbox/new/, lets an "ipc daemon" route them and SIGKILLs the
// leading daemon at random instants, each time with another daemon waiting
// to take over; meanwhile recipients read their mail. Afterwards every
// recipient holds every message meant for it exactly once (counted by
// Message-ID across new/ and cur/), nobody else holds it, and the outbox is
// empty.
func TestLeaderTakeover(t *testing.T) {
	t.Parallel()
	n := 2000 * testkit.Soak()
	if testing.Short() {
		n = 300
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)
	w := newWorld(t)
	w.openSpool() // creates it
	names := []string{"ann", "ben", "cat", "dan", "eve"}
	want := map[string]map[string]bool{} // Message-ID → recipients
	outTmp, outNew := filepath.Join(w.home, "outbox", "tmp"), filepath.Join(w.home, "outbox", "new")
	for i := range n {
		id := fmt.Sprintf("lead%05d", i)
		to := map[string]bool{}
		for len(to) < 1+rng.IntN(3) {
			to[names[rng.IntN(len(names))]] = true
		}
		var list []string
		for name := range to {
			list = append(list, name+"@example.org")
		}
		want[id] = to
		f := putFile(t, outTmp, id, scriptMail(id, strings.Join(list, ", "), "message "+id))
		if err := os.Rename(f, filepath.Join(outNew, id)); err != nil {
			t.Fatal(err)
		}
	}

	stopReaders := make(chan struct{})
	var readers sync.WaitGroup
	for _, name := range names[:2] { // two recipients read as the mail comes
		readers.Go(func() {
			for {
				select {
				case <-stopReaders:
					return
				case <-time.After(20 * time.Millisecond):
				}
				c := exec.Command(ipcBin, "--as", name, "check")
				c.Env = w.env
				_ = c.Run()
			}
		})
	}

	cur := w.start("daemon")
	eventually(t, "the first daemon to lead", func() bool { return w.leaderPID() == cur.pid() })
	kills := 0
	for round := 0; round < 4; round++ {
		next := w.start("daemon")
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		if len(filesIn(t, outNew)) == 0 {
			break // all routed: nothing left to cut short
		}
		cur.kill()
		kills++
		killed := time.Now()
		eventually(t, "the waiting daemon to take over", func() bool { return w.leaderPID() == next.pid() })
		t.Logf("kill %d: pid %d took over from %d in %v", kills, next.pid(), cur.pid(), time.Since(killed).Round(time.Millisecond))
		cur = next
	}
	for deadline := time.Now().Add(3 * time.Minute); len(filesIn(t, outNew)) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d files still in the outbox", len(filesIn(t, outNew)))
		}
	}
	close(stopReaders)
	readers.Wait()
	_ = cur.cmd.Process.Signal(syscall.SIGTERM)
	if code := cur.wait(10 * time.Second); code != 0 {
		t.Errorf("daemon exited %d on SIGTERM: %s", code, cur.err)
	}
	if !strings.Contains(cur.err.String(), "msg=routed") && kills < 4 {
		t.Logf("last daemon's log: %s", cur.err)
	}
	t.Logf("%d messages, %d leaders killed mid-batch", n, kills)

	got := map[string]map[string]int{} // Message-ID → recipient → copies
	for _, name := range names {
		for _, sub := range []string{"new", "cur"} {
			for _, f := range filesIn(t, w.mailDir(name, sub)) {
				id := messageID(t, f)
				if got[id] == nil {
					got[id] = map[string]int{}
				}
				got[id][name]++
			}
		}
	}
	for id, to := range want {
		for _, name := range names {
			if c, should := got[id][name], to[name]; (should && c != 1) || (!should && c != 0) {
				t.Errorf("%s holds %d copies of %s (meant for it: %v)", name, c, id, should)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct messages delivered, want %d", len(got), len(want))
	}
	if q := filesIn(t, filepath.Join(w.home, "quarantine")); len(q) != 0 {
		t.Errorf("quarantined: %v", q)
	}
}

// messageID returns the local part of a mail file's Message-ID.
func messageID(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	id := strings.Trim(m.Header.Get("Message-Id"), "<>")
	id, _, _ = strings.Cut(id, "@")
	return id
}

// TestDaemonStopsCleanly checks that a daemon leads at once in an empty
// spool, says so on stderr, routes a drop-in, and exits 0 on SIGTERM,
// after which the lock is free.
func TestDaemonStopsCleanly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.openSpool()
	d := w.start("daemon")
	eventually(t, "the daemon to lead", func() bool { return w.leaderPID() == d.pid() })
	f := putFile(t, filepath.Join(w.home, "outbox", "tmp"), "hello", scriptMail("d1", "bob", "routed by the daemon"))
	if err := os.Rename(f, filepath.Join(w.home, "outbox", "new", "hello")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the drop-in to reach bob", func() bool { return len(filesIn(t, w.mailDir("bob", "new"))) == 1 })
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	if code := d.wait(10 * time.Second); code != 0 {
		t.Fatalf("daemon exited %d: %s", code, d.err)
	}
	for _, s := range []string{"msg=leading", "msg=routed file=hello", "msg=stopped"} {
		if !strings.Contains(d.err.String(), s) {
			t.Errorf("daemon log lacks %q:\n%s", s, d.err)
		}
	}
	if pid := w.leaderPID(); pid != 0 {
		t.Errorf("leader %d after the daemon stopped", pid)
	}
	if msgs := w.messages("bob"); len(msgs) != 1 || !strings.Contains(msgs[0].Body, "routed by the daemon") {
		t.Errorf("bob got %+v", msgs)
	}
}
