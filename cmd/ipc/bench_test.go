package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/latency"
	"github.com/claude-ipc/ipc/spool"
)

// benchWorld is a world for a benchmark (newWorld wants a *testing.T).
func benchWorld(b *testing.B) *world {
	b.Helper()
	base := b.TempDir()
	w := &world{home: filepath.Join(base, "spool")}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "IPC_") && k != "HOME" {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "IPC_HOME="+w.home, "HOME="+base, "NO_COLOR=1")
	return w
}

// BenchmarkWakeLatency measures a message's way to a waiting "ipc wait"
// process: from the rename of a complete message into the mailbox's new/
// until the process has printed it (read from its stdout) and until it
// has exited. The bare rename is timed in the same run, and the ratios of
// the medians reported.
func BenchmarkWakeLatency(b *testing.B) {
	w := benchWorld(b)
	sp, err := spool.Open(w.home)
	if err != nil {
		b.Fatal(err)
	}
	mb, err := sp.EnsureMailbox("bob")
	if err != nil {
		b.Fatal(err)
	}
	env := append(append([]string(nil), w.env...), "IPC_POLL_INTERVAL=1h") // only inotify can wake it
	msg := []byte("From: alice@h\nTo: bob@h\nSubject: ping\nMessage-ID: <0000000000aa@h>\n\nping\n")
	var printed, exited, bare []time.Duration
	i := 0
	for b.Loop() {
		i++
		cmd := exec.Command(ipcBin, "--as", "bob", "wait", "--timeout", "60s")
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for !inotifyWatching(cmd.Process.Pid, mb.NewDir()) {
			time.Sleep(100 * time.Microsecond)
		}
		start, renamed, err := latency.Deliver(mb.Dir, i, msg)
		if err != nil {
			b.Fatal(err)
		}
		var got []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(got, []byte("ping")) {
			n, err := out.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				b.Fatalf("wait printed %q: %v", got, err)
			}
		}
		printed = append(printed, time.Since(start))
		_, _ = io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("wait: %v", err)
		}
		exited = append(exited, time.Since(start))
		bare = append(bare, renamed)
	}
	ps, es, r50 := latency.Summarize(printed), latency.Summarize(exited), latency.Percentile(bare, 50)
	ps.Report(b, "printed-")
	es.Report(b, "exited-")
	b.ReportMetric(latency.Micros(r50), "rename-p50-µs")
	if r50 > 0 {
		b.ReportMetric(float64(ps.P50)/float64(r50), "printed/rename")
		b.ReportMetric(float64(es.P50)/float64(r50), "exited/rename")
	}
}

// hookSpool makes a mailbox with 100,000 read messages in cur/ and three
// unread ones, as a long-lived agent's would be.
func hookSpool(b *testing.B) (*world, *spool.Mailbox) {
	b.Helper()
	w, _, mb := bobWithUnread(b)
	old := []byte("From: alice@h\nTo: bob@h\nSubject: old\n\nold\n")
	for i := range 100000 {
		name := fmt.Sprintf("%d.M%06dP1Q%dR%012x.h,S=%d:2,S", 1600000000+i, i%1000000, i, i, len(old))
		if err := os.WriteFile(filepath.Join(mb.Dir, "cur", name), old, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return w, mb
}

// bobWithUnread makes a benchmark spool whose mailbox bob holds three
// unread messages from alice.
func bobWithUnread(b *testing.B) (*world, *spool.Spool, *spool.Mailbox) {
	b.Helper()
	w := benchWorld(b)
	sp, err := spool.Open(w.home, spool.WithConfig(spool.Config{LargeThreshold: 10 << 10}))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 3 {
		if _, err := sp.Send(spool.Draft{From: "alice", To: []string{"bob"}, Body: fmt.Sprintf("unread %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	mb, _ := sp.Mailbox("bob")
	return w, sp, mb
}

// BenchmarkHook measures one "ipc hook UserPromptSubmit" process on a
// mailbox with 100,000 read messages and 3 unread, against starting
// /bin/true in the same run: the ratio is the hook's cost in units of the
// cheapest possible process.
func BenchmarkHook(b *testing.B) {
	w, mb := hookSpool(b)
	in := `{"session_id":"bench","hook_event_name":"UserPromptSubmit","prompt":"hi"}`
	run := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = w.env
		cmd.Stdin = strings.NewReader(in)
		var out bytes.Buffer
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		d := time.Since(start)
		if name == ipcBin && !strings.Contains(out.String(), "3 new messages") {
			b.Fatalf("hook printed %q", out.String())
		}
		return d
	}
	var hook, bare []time.Duration
	for b.Loop() {
		hook = append(hook, run(ipcBin, "--as", "bob", "hook", "UserPromptSubmit"))
		bare = append(bare, run("/bin/true"))
	}
	if u, _ := mb.Unread(); u != 3 {
		b.Fatalf("the hook changed the mailbox: %d unread", u)
	}
	hs, t50 := latency.Summarize(hook), latency.Percentile(bare, 50)
	hs.Report(b, "hook-")
	b.ReportMetric(latency.Micros(t50), "true-p50-µs")
	b.ReportMetric(float64(hs.P50)/float64(t50), "hook/true")
}

// BenchmarkHookInProcess measures the hook's look at the mailbox (count
// new/, read the newest headers) on the same 100,000-message mailbox,
// against a bare ReadDir of new/ in the same run.
func BenchmarkHookInProcess(b *testing.B) {
	_, mb := hookSpool(b)
	var glance, bare []time.Duration
	for b.Loop() {
		start := time.Now()
		g, err := mb.Glance(5, time.Time{})
		if err != nil || g.Unread != 3 || len(g.Newest) != 3 {
			b.Fatalf("glance = %+v, %v", g, err)
		}
		glance = append(glance, time.Since(start))
		start = time.Now()
		if ents, err := os.ReadDir(mb.NewDir()); err != nil || len(ents) != 3 {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
	}
	g50, r50 := latency.Percentile(glance, 50), latency.Percentile(bare, 50)
	b.ReportMetric(latency.Micros(g50), "glance-p50-µs")
	b.ReportMetric(latency.Micros(r50), "readdir-p50-µs")
	b.ReportMetric(float64(g50)/float64(r50), "glance/readdir")
}
