package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// crashBody is the i-th message of the crash test: about 8 KiB, under the
// large-message threshold, so the whole text goes into the message file.
func crashBody(i int) string {
	return fmt.Sprintf("crash test message %03d\n", i) + strings.Repeat(fmt.Sprintf("%03d payload line ......................\n", i), 200)
}

// TestCrashSafety kills "ipc send" processes with SIGKILL at random
// instants and checks that new/ never shows a half-written message:
// every file there is one of the messages sent, whole. Temporary files
// left in tmp/ are allowed (the leader removes them later).
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	w := newWorld(t).with("IPC_RATE_LIMIT=0")
	w.ok("register", "bob")
	n := 200 * testkit.Soak()
	if testing.Short() {
		n = 50
	}

	// Kill over the whole life of a send: from before it starts to after
	// it ends, as measured here.
	var times []time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		w.okIn(crashBody(1000+i), "--as", "alice", "send", "bob", "-")
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	window := times[2] * 2
	t.Logf("a whole send takes about %v; killing within %v", times[2], window)

	var (
		mu              sync.Mutex
		killed, exited0 int
		wg              sync.WaitGroup
		jobs            = make(chan int)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				k := sendAndKill(t, w, i, time.Duration(rand.Int64N(int64(window)+1)))
				mu.Lock()
				if k {
					killed++
				} else {
					exited0++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	files := filesIn(t, w.mailDir("bob", "new"))
	leftovers := len(filesIn(t, w.mailDir("bob", "tmp")))
	t.Logf("%d sends: %d killed, %d finished; %d messages in new/, %d leftovers in tmp/",
		n, killed, exited0, len(files)-5, leftovers)
	if len(files)-5 < exited0 {
		t.Errorf("%d sends exited 0 but only %d messages arrived", exited0, len(files)-5)
	}
	if len(files)-5 > n {
		t.Errorf("%d messages from %d sends", len(files)-5, n)
	}
	seen := map[int]bool{}
	for _, f := range files {
		i := checkWhole(t, f)
		if i >= 0 && seen[i] {
			t.Errorf("message %d arrived twice", i)
		}
		seen[i] = true
	}

	// ipc reads every one of them, with nothing to warn about.
	r := w.ok("--as", "bob", "check", "--json")
	if r.err != "" {
		t.Errorf("check warned: %s", r.err)
	}
	if got := strings.Count(r.out, `"id":`); got != len(files) {
		t.Errorf("check read %d messages, new/ held %d", got, len(files))
	}
}

// sendAndKill starts one send of message i and kills it after delay. It
// reports whether the kill interrupted it (it had not exited 0).
func sendAndKill(t *testing.T, w *world, i int, delay time.Duration) bool {
	cmd := exec.Command(ipcBin, "--as", "alice", "send", "bob", "-")
	cmd.Env = w.env
	cmd.Stdin = strings.NewReader(crashBody(i))
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return false
	}
	time.Sleep(delay)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		// Only the stdin copy failing on a dead process is expected here.
		if !errors.Is(err, syscall.EPIPE) && !strings.Contains(err.Error(), "broken pipe") {
			t.Errorf("send %d: %v", i, err)
		}
	}
	return err != nil
}

// checkWhole parses the message file f and checks that it is one of the
// crash test's messages, complete; it returns the message's number.
func checkWhole(t *testing.T, f string) int {
	t.Helper()
	raw, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, size, ok := strings.Cut(filepath.Base(f), ",S="); !ok || size != strconv.Itoa(len(raw)) {
		t.Errorf("%s: %d bytes, its name says %q", filepath.Base(f), len(raw), size)
	}
	m, err := spool.ParseMessage(strings.NewReader(string(raw)), filepath.Base(f), time.Now())
	if err != nil {
		t.Errorf("%s: %v", f, err)
		return -1
	}
	var i int
	if _, err := fmt.Sscanf(m.Body, "crash test message %d\n", &i); err != nil {
		t.Errorf("%s: not a crash test message: %.60q", f, m.Body)
		return -1
	}
	if m.Body != crashBody(i) {
		t.Errorf("%s: message %d is not whole (%d bytes of %d)", f, i, len(m.Body), len(crashBody(i)))
	}
	return i
}
