package watcher

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkRenameToEvent measures the time from os.Rename into a watched
// directory to the Event, against the bare cost of an os.Rename into a
// directory nobody watches, measured in the same loop.
func BenchmarkRenameToEvent(b *testing.B) {
	root := b.TempDir()
	tmp, dir, plain := filepath.Join(root, "tmp"), filepath.Join(root, "new"), filepath.Join(root, "plain")
	for _, d := range []string{tmp, dir, plain} {
		if err := os.Mkdir(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	w, err := New(b.Context(), Options{}, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if w.Polling() {
		b.Skip("inotify unavailable")
	}

	var latency, rename []time.Duration
	for i := 0; b.Loop(); i++ {
		name := strconv.Itoa(i)
		src := filepath.Join(tmp, name)
		must(b, os.WriteFile(src, []byte("mail\n"), 0o644))

		t0 := time.Now()
		must(b, os.Rename(src, filepath.Join(plain, name)))
		rename = append(rename, time.Since(t0))
		must(b, os.Rename(filepath.Join(plain, name), src))

		t0 = time.Now()
		must(b, os.Rename(src, filepath.Join(dir, name)))
		ev := <-w.Events()
		latency = append(latency, time.Since(t0))
		if ev.Name != name {
			b.Fatalf("got %q, want %q", ev.Name, name)
		}
		must(b, os.Remove(filepath.Join(dir, name)))
	}
	lat50, ren50 := percentile(latency, 50), percentile(rename, 50)
	b.ReportMetric(lat50, "p50-µs")
	b.ReportMetric(percentile(latency, 99), "p99-µs")
	b.ReportMetric(ren50, "rename-p50-µs")
	b.ReportMetric(percentile(rename, 99), "rename-p99-µs")
	b.ReportMetric(lat50/ren50, "p50/rename-p50")
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// percentile returns the p-th percentile of ds in microseconds.
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[(len(s)-1)*p/100]) / float64(time.Microsecond)
}
