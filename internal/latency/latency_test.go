package latency

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	hundredAndOne := make([]int, 101)
	for i := range hundredAndOne {
		hundredAndOne[i] = 100 - i // reversed: Percentile sorts
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    int
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(3, 1, 2), 50, 2 * time.Millisecond},
		{"median of even is the lower", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p0 is the least", ms(5, 9, 1), 0, 1 * time.Millisecond},
		{"p100 is the most", ms(5, 9, 1), 100, 9 * time.Millisecond},
		{"p99 of 0..100", ms(hundredAndOne...), 99, 99 * time.Millisecond},
		{"p99 of ten is the ninth", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.ds)
			if got := Percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %d) = %v, want %v", tt.ds, tt.p, got, tt.want)
			}
			if !slices.Equal(tt.ds, before) {
				t.Errorf("Percentile changed its input: %v, was %v", tt.ds, before)
			}
		})
	}
}

// metrics records what a benchmark would report.
type metrics map[string]float64

func (m metrics) ReportMetric(n float64, unit string) { m[unit] = n }

func TestSummaryReport(t *testing.T) {
	ds := make([]time.Duration, 0, 101)
	for i := range 101 {
		ds = append(ds, time.Duration(i)*time.Microsecond)
	}
	s := Summarize(ds)
	if s.P50 != 50*time.Microsecond || s.P99 != 99*time.Microsecond {
		t.Fatalf("Summarize = %+v, want 50µs and 99µs", s)
	}
	got := metrics{}
	s.Report(got, "wake-")
	want := metrics{"wake-p50-µs": 50, "wake-p99-µs": 99}
	if !maps.Equal(got, want) {
		t.Errorf("Report = %v, want %v", got, want)
	}
}

func TestMicros(t *testing.T) {
	if got := Micros(1500 * time.Nanosecond); got != 1.5 {
		t.Errorf("Micros(1.5µs) = %v, want 1.5", got)
	}
}

func TestDeliver(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"tmp", "new"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	for i := 1; i <= 2; i++ {
		start, took, err := Deliver(dir, i, []byte("ping\n"))
		if err != nil {
			t.Fatalf("Deliver %d: %v", i, err)
		}
		if start.Before(before) || took < 0 {
			t.Errorf("Deliver %d: start %v (before %v), took %v", i, start, before, took)
		}
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	news, _ := os.ReadDir(filepath.Join(dir, "new"))
	if len(tmp) != 0 || len(news) != 2 {
		t.Fatalf("tmp/ holds %d files, new/ %d; want 0 and 2", len(tmp), len(news))
	}
	for _, e := range news {
		if b, err := os.ReadFile(filepath.Join(dir, "new", e.Name())); err != nil || string(b) != "ping\n" {
			t.Errorf("new/%s holds %q, %v", e.Name(), b, err)
		}
	}
	if _, _, err := Deliver(filepath.Join(dir, "missing"), 3, nil); err == nil {
		t.Error("Deliver into a missing Maildir succeeded")
	}
}
