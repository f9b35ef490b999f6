package leader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
	"github.com/claude-ipc/ipc/internal/latency"
	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// BenchmarkWakeLatency measures, in one process, what "ipc wait" does
// between a message's arrival and its answer: the rename of a complete
// message into a watched new/, the watcher's event, and the Check that
// claims and parses it. The bare rename is timed in the same run; the
// ratio says what watching and reading add to it.
func BenchmarkWakeLatency(b *testing.B) {
	sp, err := spool.Open(filepath.Join(b.TempDir(), "spool"))
	if err != nil {
		b.Fatal(err)
	}
	mb, err := sp.EnsureMailbox("bob")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := watcher.New(ctx, watcher.Options{PollInterval: time.Hour}, mb.NewDir())
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	msg := []byte("From: alice@h\nTo: bob@h\nSubject: ping\nMessage-ID: <0000000000aa@h>\n\nping\n")
	var wake, bare []time.Duration
	i := 0
	for b.Loop() {
		i++
		start, renamed, err := latency.Deliver(mb.Dir, i, msg)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for got == 0 {
			<-w.Events()
			ms, err := mb.Check(spool.CheckOptions{})
			if err != nil {
				b.Fatal(err)
			}
			got = len(ms)
		}
		wake = append(wake, time.Since(start))
		bare = append(bare, renamed)
	}
	reportLatency(b, wake, bare)
}

// reportLatency reports p50/p99 of wake and of the bare rename, and the
// ratio of their medians.
func reportLatency(b *testing.B, wake, bare []time.Duration) {
	ws, r50 := latency.Summarize(wake), latency.Percentile(bare, 50)
	ws.Report(b, "wake-")
	b.ReportMetric(latency.Micros(r50), "rename-p50-µs")
	if r50 > 0 {
		b.ReportMetric(float64(ws.P50)/float64(r50), "wake/rename")
	}
}

// BenchmarkRouteOutbox measures the leader's routing of one drop-in for
// three recipients (hard links, fsyncs, removal) against a bare durable
// delivery of one file (write, fsync, rename, fsync of the directory)
// measured in the same run.
func BenchmarkRouteOutbox(b *testing.B) {
	sp, err := spool.Open(filepath.Join(b.TempDir(), "spool"))
	if err != nil {
		b.Fatal(err)
	}
	bareDir := b.TempDir()
	msg := []byte("From: s@h\nTo: ann, ben, cat\nSubject: x\n\nhello\n")
	var route, bare []time.Duration
	i := 0
	for b.Loop() {
		i++
		name := fmt.Sprint(i)
		tmp := filepath.Join(sp.Root, "outbox", "tmp", name)
		if err := os.WriteFile(tmp, msg, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(sp.OutboxDir(), name)); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if r, err := sp.RouteOutbox(name); err != nil || len(r.To) != 3 {
			b.Fatal(r, err)
		}
		route = append(route, time.Since(start))
		start = time.Now()
		if err := durableWrite(bareDir, name, msg); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
	}
	rs, d50 := latency.Summarize(route), latency.Percentile(bare, 50)
	rs.Report(b, "route-")
	b.ReportMetric(latency.Micros(d50), "durable-write-p50-µs")
	if d50 > 0 {
		b.ReportMetric(float64(rs.P50)/float64(d50), "route/durable-write")
	}
}

// durableWrite is the floor of a Maildir delivery: write, fsync, rename,
// fsync the directory.
func durableWrite(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+".tmp")
	if err := bareop.WriteSynced(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
