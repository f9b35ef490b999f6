package leader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// quantile returns the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

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
		tmp := filepath.Join(mb.Dir, "tmp", fmt.Sprint(i))
		if err := os.WriteFile(tmp, msg, 0o600); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := os.Rename(tmp, filepath.Join(mb.NewDir(), fmt.Sprintf("%d.M1P1Q%d.h", 1700000000+i, i))); err != nil {
			b.Fatal(err)
		}
		renamed := time.Since(start)
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
	w50, w99 := quantile(wake, 0.5), quantile(wake, 0.99)
	r50 := quantile(bare, 0.5)
	b.ReportMetric(micros(w50), "wake-p50-µs")
	b.ReportMetric(micros(w99), "wake-p99-µs")
	b.ReportMetric(micros(r50), "rename-p50-µs")
	if r50 > 0 {
		b.ReportMetric(float64(w50)/float64(r50), "wake/rename")
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
	r50, d50 := quantile(route, 0.5), quantile(bare, 0.5)
	b.ReportMetric(micros(r50), "route-p50-µs")
	b.ReportMetric(micros(quantile(route, 0.99)), "route-p99-µs")
	b.ReportMetric(micros(d50), "durable-write-p50-µs")
	if d50 > 0 {
		b.ReportMetric(float64(r50)/float64(d50), "route/durable-write")
	}
}

// durableWrite is the floor of a Maildir delivery: write, fsync, rename,
// fsync the directory.
func durableWrite(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
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
