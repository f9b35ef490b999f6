package watcher

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/latency"
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

	var toEvent, rename []time.Duration
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
		toEvent = append(toEvent, time.Since(t0))
		if ev.Name != name {
			b.Fatalf("got %q, want %q", ev.Name, name)
		}
		must(b, os.Remove(filepath.Join(dir, name)))
	}
	event, ren := latency.Summarize(toEvent), latency.Summarize(rename)
	event.Report(b, "")
	ren.Report(b, "rename-")
	b.ReportMetric(latency.Micros(event.P50)/latency.Micros(ren.P50), "p50/rename-p50")
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
