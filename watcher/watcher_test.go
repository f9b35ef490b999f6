package watcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/claude-ipc/ipc/internal/testkit"
)

const deadline = 5 * time.Second

// modes runs every scenario on inotify, on a directory notifier (as on
// macOS and FreeBSD, here made of inotify: dirnotify_test.go) and on the
// polling fallback.
var modes = []struct {
	name string
	opts Options
}{
	{"inotify", Options{PollInterval: 25 * time.Millisecond}},
	{"directory", Options{PollInterval: 25 * time.Millisecond, newDirs: newFSDirs}},
	{"poll", Options{Poll: true, PollInterval: 25 * time.Millisecond}},
}

// wantMode is the Mode a Watcher started with opts must run in.
func wantMode(opts Options) Mode {
	switch {
	case opts.Poll:
		return ModePoll
	case opts.newDirs != nil:
		return ModeDirectory
	}
	return ModeEvents
}

func eachMode(t *testing.T, f func(t *testing.T, opts Options)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m.opts) })
	}
}

// maildir makes new/ and a sibling tmp/ to write files in before renaming
// them into new/, as Maildir writers do.
func maildir(t *testing.T) (newDir, tmpDir string) {
	t.Helper()
	root := t.TempDir()
	newDir, tmpDir = filepath.Join(root, "new"), filepath.Join(root, "tmp")
	for _, d := range []string{newDir, tmpDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return newDir, tmpDir
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// watch starts a Watcher that is closed when the test ends, and checks it
// runs in the mode asked for.
func watch(t *testing.T, opts Options, dirs ...string) *Watcher {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	w, err := New(t.Context(), opts, dirs...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	if got, want := w.Mode(), wantMode(opts); got != want {
		w.Close()
		testkit.SkipEnv(t, "asked for mode %v, got %v: inotify unavailable here", want, got)
	}
	return w
}

// collector records every event of a Watcher.
type collector struct {
	mu      sync.Mutex
	got     map[Event]int    // by Dir and Name (Rescan zero)
	rescans map[Event]uint64 // by Dir and Name: the Rescan of its last report
	done    chan struct{}    // closed when Events is

	drains int // files delivered by drain, for unique names
}

func collect(t *testing.T, w *Watcher) *collector {
	c := &collector{got: make(map[Event]int), rescans: make(map[Event]uint64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for ev := range w.Events() {
			key := Event{Dir: ev.Dir, Name: ev.Name}
			c.mu.Lock()
			c.got[key]++
			c.rescans[key] = ev.Rescan
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		w.Close()
		<-c.done
	})
	return c
}

func (c *collector) count(dir, name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[Event{Dir: dir, Name: name}]
}

// rescan returns the Rescan of the last report of dir/name.
func (c *collector) rescan(dir, name string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rescans[Event{Dir: dir, Name: name}]
}

func (c *collector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.got)
	clear(c.rescans)
}

// missing lists the names not reported yet.
func (c *collector) missing(dir string, names []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range names {
		if c.got[Event{Dir: dir, Name: n}] == 0 {
			out = append(out, n)
		}
	}
	return out
}

// wait fails the test unless every name is reported within timeout.
// drain returns once everything the watcher was going to report before now
// has been reported, so that a test can assert what was not: it delivers a
// file into dir and waits for it, three times. Events of one inotify
// instance come in order, and polls run one after another (each over every
// directory, in any order), so the third file's report comes after every
// event queued, and every poll begun, before the first was delivered,
// whichever directory they were of.
func (c *collector) drain(t *testing.T, tmp, dir string) {
	t.Helper()
	for i := range 3 {
		c.drains++
		name := fmt.Sprintf("zz-drain-%d-%d", c.drains, i)
		deliver(t, tmp, dir, name)
		c.wait(t, dir, []string{name}, deadline)
	}
}

func (c *collector) wait(t *testing.T, dir string, names []string, timeout time.Duration) {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		miss := c.missing(dir, names)
		if len(miss) == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d of %d files in %s not reported within %v, first: %q", len(miss), len(names), dir, timeout, miss[0])
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func fileNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return names
}

// stage writes files into tmp, ready to be renamed in.
func stage(t *testing.T, tmp string, names []string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(tmp, n), []byte("mail "+n+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func renameIn(t *testing.T, tmp, dir string, names []string) {
	t.Helper()
	for _, n := range names {
		if err := os.Rename(filepath.Join(tmp, n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
}

func deliver(t *testing.T, tmp, dir string, names ...string) {
	t.Helper()
	stage(t, tmp, names)
	renameIn(t, tmp, dir, names)
}

func TestRenamedIn(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		dir, tmp := maildir(t)
		w := watch(t, opts, dir)
		c := collect(t, w)
		deliver(t, tmp, dir, "m1")
		c.wait(t, dir, []string{"m1"}, deadline)
	})
}

// TestRenamedInSkipsSettle shows a renamed-in file does not wait for the
// settle check: with an hour of Settle it still arrives.
func TestRenamedInSkipsSettle(t *testing.T) {
	dir, tmp := maildir(t)
	w := watch(t, Options{Settle: time.Hour}, dir)
	c := collect(t, w)
	names := fileNames("m", 20)
	deliver(t, tmp, dir, names...)
	c.wait(t, dir, names, deadline)
}

func TestStartScan(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		dir, tmp := maildir(t)
		names := fileNames("old", 10)
		deliver(t, tmp, dir, names...)
		if err := os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		w := watch(t, opts, dir)
		c := collect(t, w)
		c.wait(t, dir, names, deadline)
		c.drain(t, tmp, dir)
		for _, n := range []string{".hidden", "sub"} {
			if c.count(dir, n) != 0 {
				t.Errorf("%q reported; only regular files not starting with a dot are", n)
			}
		}
	})
}

// TestWrittenInPlace writes files where they are watched, with a pause
// between two writes; each must be reported only once complete.
func TestWrittenInPlace(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		// Polls more often than the writers pause, so a poll sees the
		// half-written files.
		opts.PollInterval = 5 * time.Millisecond
		dir, _ := maildir(t)
		w := watch(t, opts, dir)
		names := fileNames("inplace", 4)
		want := make(map[string][]byte)
		for _, n := range names {
			want[n] = bytes.Repeat([]byte(n+" "), 1000)
		}

		var wg sync.WaitGroup
		for _, n := range names {
			wg.Go(func() {
				if err := writeSlowly(filepath.Join(dir, n), want[n]); err != nil {
					t.Error(err)
				}
			})
		}
		defer wg.Wait()

		timeout := time.After(deadline)
		for seen := 0; seen < len(names); {
			select {
			case ev := <-w.Events():
				data, err := os.ReadFile(filepath.Join(dir, ev.Name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, want[ev.Name]) {
					t.Fatalf("%s reported with %d of its %d bytes", ev.Name, len(data), len(want[ev.Name]))
				}
				seen++
			case <-timeout:
				t.Fatalf("only %d of %d files written in place reported", seen, len(names))
			}
		}
	})
}

// TestWrittenInPlacePauses writes a file in place in 4 KiB writes with
// pauses longer than Settle between them, as a loaded machine does: the
// file must be reported once, whole, never with its first 4096 bytes.
func TestWrittenInPlacePauses(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		opts.PollInterval = 5 * time.Millisecond
		dir, _ := maildir(t)
		w := watch(t, opts, dir)
		path := filepath.Join(dir, "paused")
		data := bytes.Repeat([]byte("0123456789abcdef"), 13000/16)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(data); off += 4096 {
			if _, err := f.Write(data[off:min(off+4096, len(data))]); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-w.Events():
				b, _ := os.ReadFile(filepath.Join(dir, ev.Name))
				t.Fatalf("%s reported while being written, with %d of its %d bytes", ev.Name, len(b), len(data))
			case <-time.After(3 * defaultSettle):
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-w.Events():
			b, err := os.ReadFile(filepath.Join(dir, ev.Name))
			if err != nil || !bytes.Equal(b, data) {
				t.Fatalf("%s reported with %d of its %d bytes (%v)", ev.Name, len(b), len(data), err)
			}
		case <-time.After(deadline):
			t.Fatal("a file written in place was never reported")
		}
	})
}

// writeSlowly writes data in place: half, a pause, the rest.
func writeSlowly(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	half := len(data) / 2
	_, err = f.Write(data[:half])
	if err == nil {
		time.Sleep(20 * time.Millisecond)
		_, err = f.Write(data[half:])
	}
	return errors.Join(err, f.Close())
}

func TestBurst(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	eachMode(t, func(t *testing.T, opts Options) {
		dir, tmp := maildir(t)
		w := watch(t, opts, dir)
		c := collect(t, w)
		names := fileNames("burst", n)
		stage(t, tmp, names)
		renameIn(t, tmp, dir, names)
		c.wait(t, dir, names, 30*time.Second)
	})
}

func TestRescan(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		dir, tmp := maildir(t)
		names := fileNames("m", 5)
		deliver(t, tmp, dir, names...)
		w := watch(t, opts, dir)
		c := collect(t, w)
		c.wait(t, dir, names, deadline)
		if r := c.rescan(dir, names[0]); r != 0 {
			t.Errorf("the start scan's report says rescan %d, want 0", r)
		}
		c.reset()
		for want := range uint64(2) {
			w.Rescan()
			c.wait(t, dir, names, deadline)
			for _, n := range names {
				if r := c.rescan(dir, n); r != want+1 {
					t.Errorf("%s reported by rescan %d, want %d", n, r, want+1)
				}
			}
			c.reset()
		}
		deliver(t, tmp, dir, "arrived")
		c.wait(t, dir, []string{"arrived"}, deadline)
		if r := c.rescan(dir, "arrived"); r != 0 {
			t.Errorf("an arrival reported as found by rescan %d", r)
		}
		if got := w.Stats().Rescans; got != 2 {
			t.Errorf("Stats().Rescans = %d after two Rescans", got)
		}
	})
}

// TestOverflowReportsRescan injects inotify's queue overflow: every file
// present is reported again, marked as found by a rescan, and what
// arrives next is an arrival again.
func TestOverflowReportsRescan(t *testing.T) {
	dir, tmp := maildir(t)
	overflow := make(chan error)
	s := osSys()
	s.newFS = func() (*fsnotify.Watcher, error) {
		fsw, err := fsnotify.NewWatcher()
		if err == nil {
			fsw.Errors = overflow // what the loop reads; fsnotify's own errors go unread
		}
		return fsw, err
	}
	w, err := start(t.Context(), Options{PollInterval: 25 * time.Millisecond, Logger: testLogger(t)}, s, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if w.Mode() != ModeEvents {
		w.Close()
		testkit.SkipEnv(t, "inotify unavailable here (mode %v)", w.Mode())
	}
	c := collect(t, w)
	names := fileNames("m", 3)
	deliver(t, tmp, dir, names...)
	c.wait(t, dir, names, deadline)
	for _, n := range names {
		if r := c.rescan(dir, n); r != 0 {
			t.Fatalf("arrival %s reported as found by rescan %d", n, r)
		}
	}
	c.reset()
	overflow <- fsnotify.ErrEventOverflow
	c.wait(t, dir, names, deadline)
	for _, n := range names {
		if r := c.rescan(dir, n); r != 1 {
			t.Errorf("after the overflow %s reported with Rescan %d, want 1", n, r)
		}
	}
	if st := w.Stats(); st.Overflows != 1 || st.Rescans != 1 {
		t.Errorf("stats %+v, want one overflow and one rescan", st)
	}
	deliver(t, tmp, dir, "after")
	c.wait(t, dir, []string{"after"}, deadline)
	if r := c.rescan(dir, "after"); r != 0 {
		t.Errorf("an arrival after the overflow reported as found by rescan %d", r)
	}
}

// watcherGoroutines counts the goroutines running code of the Watcher or
// of fsnotify.
func watcherGoroutines() int {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "fsnotify.") || strings.Contains(g, "ipc/watcher.(*loop)") ||
			strings.Contains(g, "ipc/watcher.start") || strings.Contains(g, "ipc/watcher.(*kqueueDirs)") ||
			strings.Contains(g, "ipc/watcher.(*fsDirs)") {
			count++
		}
	}
	return count
}

// TestStop stops a Watcher nobody reads from, with more files present than
// Events buffers, by Close and by cancelling its context.
func TestStop(t *testing.T) {
	stops := []struct {
		name string
		stop func(w *Watcher, cancel context.CancelFunc)
	}{
		{"close", func(w *Watcher, _ context.CancelFunc) { w.Close() }},
		{"cancel", func(_ *Watcher, cancel context.CancelFunc) { cancel() }},
	}
	for _, m := range modes {
		for _, s := range stops {
			t.Run(m.name+"/"+s.name, func(t *testing.T) {
				dir, tmp := maildir(t)
				deliver(t, tmp, dir, fileNames("m", eventBuffer+500)...)
				before := runtime.NumGoroutine()

				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				w, err := New(ctx, m.opts, dir)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				s.stop(w, cancel)
				drain(t, w)
				if err := w.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				if d := time.Since(start); d > deadline {
					t.Errorf("stopping took %v", d)
				}
				if err := w.Add(tmp); !errors.Is(err, ErrClosed) {
					t.Errorf("Add after Close: %v, want ErrClosed", err)
				}
				w.Rescan() // must not block
				noLeak(t, before)
			})
		}
	}
}

// drain reads Events until it is closed.
func drain(t *testing.T, w *Watcher) {
	t.Helper()
	timeout := time.After(deadline)
	for {
		select {
		case _, ok := <-w.Events():
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("Events not closed")
		}
	}
}

func noLeak(t *testing.T, before int) {
	t.Helper()
	end := time.Now().Add(2 * time.Second)
	for {
		left, now := watcherGoroutines(), runtime.NumGoroutine()
		if left == 0 && now <= before {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("goroutines leaked: %d of the watcher or fsnotify remain; %d running, %d before", left, now, before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAddRemove(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		dirA, tmp := maildir(t)
		dirB, _ := maildir(t)
		deliver(t, tmp, dirB, "b0")
		w := watch(t, opts, dirA)
		c := collect(t, w)

		if err := w.Add(dirB); err != nil {
			t.Fatalf("Add: %v", err)
		}
		c.wait(t, dirB, []string{"b0"}, deadline) // the scan on Add
		deliver(t, tmp, dirB, "b1")
		c.wait(t, dirB, []string{"b1"}, deadline)

		if err := w.Remove(dirB); err != nil {
			t.Fatalf("Remove: %v", err)
		}
		deliver(t, tmp, dirB, "b2")
		deliver(t, tmp, dirA, "a1")
		c.wait(t, dirA, []string{"a1"}, deadline)
		c.drain(t, tmp, dirA)
		if c.count(dirB, "b2") != 0 {
			t.Errorf("file reported from a removed directory")
		}

		if err := w.Remove(dirB); !errors.Is(err, ErrNotWatched) {
			t.Errorf("Remove twice: %v, want ErrNotWatched", err)
		}
		if err := w.Add(filepath.Join(dirB, "nonexistent")); err == nil {
			t.Errorf("Add of a missing directory succeeded")
		}
		if err := w.Add(filepath.Join(dirB, "b2")); !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("Add of a file: %v, want ENOTDIR", err)
		}
	})
}

// TestDirComesBack removes or renames a watched directory, makes it again
// and expects its files to be reported.
func TestDirComesBack(t *testing.T) {
	gone := map[string]func(dir string) error{
		"removed": os.RemoveAll,
		"renamed": func(dir string) error { return os.Rename(dir, dir+".old") },
	}
	eachMode(t, func(t *testing.T, opts Options) {
		for how, remove := range gone {
			t.Run(how, func(t *testing.T) {
				dir, tmp := maildir(t)
				w := watch(t, opts, dir)
				c := collect(t, w)
				deliver(t, tmp, dir, "before")
				c.wait(t, dir, []string{"before"}, deadline)

				if err := remove(dir); err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * opts.PollInterval) // let the watcher notice
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				deliver(t, tmp, dir, "after")
				c.wait(t, dir, []string{"after"}, deadline)
				time.Sleep(2 * opts.PollInterval)
				deliver(t, tmp, dir, "later") // the watch is back, not just a scan
				c.wait(t, dir, []string{"later"}, deadline)
			})
		}
	})
}

// TestFallback makes inotify fail the ways real systems do and expects the
// Watcher to poll and still report everything.
func TestFallback(t *testing.T) {
	noSpace := func(bad *string) func(*fsnotify.Watcher, string) error {
		return func(fsw *fsnotify.Watcher, dir string) error {
			if dir == *bad {
				return fmt.Errorf("inotify_add_watch: %w", syscall.ENOSPC)
			}
			return fsw.Add(dir)
		}
	}
	var badDir string
	cases := []struct {
		name      string
		sys       func(s sys) sys
		addLater  bool // watch dirB with Add, not New
		wantPoll  bool
		wantError bool
	}{
		{name: "inotify", sys: func(s sys) sys { return s }},
		{name: "no inotify", wantPoll: true, sys: func(s sys) sys {
			s.newFS = func() (*fsnotify.Watcher, error) { return nil, syscall.EMFILE }
			return s
		}},
		{name: "IPC_POLL", wantPoll: true, sys: func(s sys) sys {
			s.getenv = func(k string) string { return map[string]string{"IPC_POLL": "1"}[k] }
			return s
		}},
		{name: "no kqueue", wantPoll: true, sys: func(s sys) sys {
			s.newDirs = func() (dirNotifier, error) { return nil, fmt.Errorf("kqueue: %w", syscall.EMFILE) }
			return s
		}},
		{name: "descriptors run out in Add", wantPoll: true, addLater: true, sys: func(s sys) sys {
			s.newDirs = func() (dirNotifier, error) {
				n, err := newFSDirs()
				return failingAdd{n, &badDir}, err
			}
			return s
		}},
		{name: "watch limit in New", wantPoll: true, sys: func(s sys) sys { s.watch = noSpace(&badDir); return s }},
		{name: "watch limit in Add", wantPoll: true, addLater: true, sys: func(s sys) sys { s.watch = noSpace(&badDir); return s }},
		{name: "other watch error", wantError: true, sys: func(s sys) sys {
			s.watch = func(fsw *fsnotify.Watcher, dir string) error {
				if dir == badDir {
					return syscall.EACCES
				}
				return fsw.Add(dir)
			}
			return s
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dirA, tmp := maildir(t)
			dirB, _ := maildir(t)
			badDir = dirB
			dirs := []string{dirA, dirB}
			if tc.addLater {
				dirs = dirs[:1]
			}
			opts := Options{PollInterval: 25 * time.Millisecond, Logger: testLogger(t)}
			w, err := start(t.Context(), opts, tc.sys(osSys()), dirs)
			if tc.wantError {
				if err == nil {
					w.Close()
					t.Fatal("New succeeded despite a failing watch")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := collect(t, w)
			if tc.addLater {
				if err := w.Add(dirB); err != nil {
					t.Fatalf("Add: %v", err)
				}
			}
			if w.Polling() != tc.wantPoll {
				t.Fatalf("Polling() = %v, want %v", w.Polling(), tc.wantPoll)
			}
			deliver(t, tmp, dirA, "a")
			deliver(t, tmp, dirB, "b")
			c.wait(t, dirA, []string{"a"}, deadline)
			c.wait(t, dirB, []string{"b"}, deadline)
		})
	}
}

// failingAdd is a directory notifier out of descriptors for one directory.
type failingAdd struct {
	dirNotifier
	bad *string
}

func (f failingAdd) Add(dir string) error {
	if dir == *f.bad {
		return fmt.Errorf("open %s: %w", dir, syscall.EMFILE)
	}
	return f.dirNotifier.Add(dir)
}

// TestOverflow lowers the kernel's inotify queue to 64 events and renames
// 2000 files in: the queue overflows, and the rescan must find them all.
func TestOverflow(t *testing.T) {
	const knob = "/proc/sys/fs/inotify/max_queued_events"
	if os.Geteuid() != 0 {
		testkit.SkipEnv(t, "needs root to lower "+knob)
	}
	old, err := os.ReadFile(knob)
	if err != nil {
		testkit.SkipEnv(t, "cannot read %s: %v", knob, err)
	}
	restore := func() {
		if err := os.WriteFile(knob, old, 0o644); err != nil {
			t.Errorf("restore %s: %v", knob, err)
		}
	}
	if err := os.WriteFile(knob, []byte("64\n"), 0o644); err != nil {
		testkit.SkipEnv(t, "cannot write %s: %v", knob, err)
	}
	t.Cleanup(restore)
	dir, tmp := maildir(t)
	// The limit is read when an inotify instance is made: lower it for
	// this one only, and give it back at once to the rest of the machine.
	w := watch(t, modes[0].opts, dir)
	restore()
	c := collect(t, w)

	for round := 0; w.Stats().Overflows == 0; round++ {
		if round == 5 {
			t.Fatal("no overflow after 5 bursts: the test proves nothing")
		}
		names := fileNames(fmt.Sprintf("r%d-", round), 2000)
		stage(t, tmp, names)
		var wg sync.WaitGroup
		for part := range 8 { // several renamers outrun the reader
			wg.Go(func() {
				for i := part; i < len(names); i += 8 {
					if err := os.Rename(filepath.Join(tmp, names[i]), filepath.Join(dir, names[i])); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		c.wait(t, dir, names, 30*time.Second)
	}
	s := w.Stats()
	t.Logf("stats: %+v", s)
	if s.Rescans < s.Overflows {
		t.Errorf("%d overflows but %d rescans", s.Overflows, s.Rescans)
	}
}

// TestFilter shows a refused name is reported neither at the start scan
// nor on arrival, while the others are.
func TestFilter(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		dir, tmp := maildir(t)
		deliver(t, tmp, dir, "old:2,S", "old:2,")
		opts.Filter = func(d, name string) bool { return d == dir && !strings.HasSuffix(name, "S") }
		w := watch(t, opts, dir)
		c := collect(t, w)
		deliver(t, tmp, dir, "new:2,FS", "new:2,F")
		c.wait(t, dir, []string{"old:2,", "new:2,F"}, deadline)
		c.drain(t, tmp, dir)
		for _, n := range []string{"old:2,S", "new:2,FS"} {
			if c.count(dir, n) != 0 {
				t.Errorf("%q reported, though the filter refuses it", n)
			}
		}
	})
}

// TestAddQuietWaitsForInPlace adds a directory quietly while a file in it
// is being written in place: what is complete there is not reported, but
// that file is, once complete, as if it arrived then.
func TestAddQuietWaitsForInPlace(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		dir, tmp := maildir(t)
		deliver(t, tmp, dir, "complete")
		path := filepath.Join(dir, "inplace")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want := bytes.Repeat([]byte("in place "), 1000)
		half := len(want) / 2
		if _, err := f.Write(want[:half]); err != nil {
			t.Fatal(err)
		}
		w := watch(t, opts)
		c := collect(t, w)
		if err := w.AddQuiet(dir); err != nil {
			t.Fatal(err)
		}
		// Whatever the watcher makes of the half-written file, it must
		// not report it yet.
		c.drain(t, tmp, dir)
		if n := c.count(dir, "inplace"); n != 0 {
			t.Fatalf("the half-written file reported %d times", n)
		}
		if _, err := f.Write(want[half:]); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		c.wait(t, dir, []string{"inplace"}, deadline)
		if data, err := os.ReadFile(path); err != nil || !bytes.Equal(data, want) {
			t.Fatalf("reported with %d of its %d bytes (%v)", len(data), len(want), err)
		}
		c.drain(t, tmp, dir)
		if n := c.count(dir, "complete"); n != 0 {
			t.Errorf("a file complete at AddQuiet reported %d times", n)
		}
		if n := c.count(dir, "inplace"); n != 1 {
			t.Errorf("the file written in place reported %d times, want 1", n)
		}
	})
}
