//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/claude-ipc/ipc/internal/latency"
	"github.com/claude-ipc/ipc/spool"
)

// hugeCur is how many read messages BenchmarkHookHugeCur puts in cur/.
const hugeCur = 1_000_000

// fillCur creates n empty read messages in dir with mknodat(2), one system
// call each and no data blocks, so a million take seconds and a few
// hundred megabytes of inodes, not gigabytes. The hook reads no read
// message, so their content does not matter.
func fillCur(b *testing.B, dir string, n int) {
	b.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	for i := range n {
		name := fmt.Sprintf("%d.M%06dP1Q%dR%012x.h,S=0:2,S", 1600000000+i/1000, i%1000000, i, i)
		if err := unix.Mknodat(fd, name, unix.S_IFREG|0o600, 0); err != nil {
			b.Fatalf("mknod %s/%s: %v", dir, name, err)
		}
	}
}

// BenchmarkHookHugeCur measures "ipc hook UserPromptSubmit" on a mailbox
// with 1,000,000 read messages in cur/ and 3 unread in new/, against the
// same hook on a mailbox with an empty cur/, in the same run: the
// ratio is what a huge cur/ costs the hook. Two cases: a live leader
// keeps the unseen index (as an ipc mcp or ipc daemon does), and no leader
// with cur/ unchanged since the index was written.
func BenchmarkHookHugeCur(b *testing.B) {
	empty, _, emptyLead := hookWorld(b, 0)
	huge, hugeMB, hugeLead := hookWorld(b, hugeCur)
	session := 0
	run := func(w *world) time.Duration {
		// A fresh session each time: a session is told of a message once.
		session++
		in := fmt.Sprintf(`{"session_id":"bench-%d","hook_event_name":"UserPromptSubmit","prompt":"hi"}`, session)
		cmd := exec.Command(ipcBin, "--as", "bob", "hook", "UserPromptSubmit")
		cmd.Env = w.env
		cmd.Stdin = strings.NewReader(in)
		var out bytes.Buffer
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("hook: %v", err)
		}
		d := time.Since(start)
		if !strings.Contains(out.String(), "3 new messages") {
			b.Fatalf("hook printed %q", out.String())
		}
		return d
	}
	var e, led, e2, stamped []time.Duration
	for b.Loop() {
		e = append(e, run(empty))
		led = append(led, run(huge))
	}
	// Without a leader: readers trust the index while cur/ keeps the time
	// it was listed at (hours ago, for a mailbox of old read mail).
	emptyLead.Release()
	hugeLead.Release()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(hugeMB.CurDir(), old, old); err != nil {
		b.Fatal(err)
	}
	run(huge) // the first reader lists cur/ once and writes the index
	if _, trusted := hugeMB.UnseenIndex(); !trusted {
		b.Fatal("no trusted index after a listing of an unchanged cur/")
	}
	for range len(led) {
		e2 = append(e2, run(empty))
		stamped = append(stamped, run(huge))
	}
	e50, e250 := latency.Percentile(e, 50), latency.Percentile(e2, 50)
	l50, s50 := latency.Percentile(led, 50), latency.Percentile(stamped, 50)
	b.ReportMetric(latency.Micros(e50), "empty-cur-p50-µs")
	b.ReportMetric(latency.Micros(l50), "1M-leader-p50-µs")
	b.ReportMetric(float64(l50)/float64(e50), "1M-leader/empty")
	b.ReportMetric(latency.Micros(e250), "empty-cur-no-leader-p50-µs")
	b.ReportMetric(latency.Micros(s50), "1M-no-leader-p50-µs")
	b.ReportMetric(float64(s50)/float64(e250), "1M-no-leader/empty")
}

// hookWorld makes bob's mailbox with 3 unread messages and n read ones,
// and leads its spool as a leader does (the unseen index built).
func hookWorld(b *testing.B, n int) (*world, *spool.Mailbox, *spool.Leadership) {
	b.Helper()
	w, sp, mb := bobWithUnread(b)
	fillCur(b, mb.CurDir(), n)
	b.Cleanup(func() { removeMany(b, mb.CurDir()) })
	l, ok, err := sp.TryLead()
	if err != nil || !ok {
		b.Fatalf("lead: %v, %v", ok, err)
	}
	b.Cleanup(func() { l.Release() })
	if err := sp.KeepUnseen(l.Info).Rebuild("bob"); err != nil {
		b.Fatal(err)
	}
	if _, trusted := mb.UnseenIndex(); !trusted {
		b.Fatal("the leader's index is not trusted")
	}
	return w, mb, l
}

// removeMany empties a huge directory with unlinkat, faster than
// RemoveAll's walk.
func removeMany(b *testing.B, dir string) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(65536)
		for _, n := range names {
			_ = unix.Unlinkat(int(f.Fd()), n, 0)
		}
		if err != nil {
			return
		}
	}
}
