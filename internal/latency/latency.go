// Package latency summarises the durations a benchmark times: percentiles,
// and the figures reported for them, in microseconds; and it times the
// bare Maildir delivery that a wake-up is compared with.
//
// It is for the project's benchmarks; nothing in the ipc command uses it.
// Its functions never change the slices they are given.
package latency

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 to 100) of ds: the duration
// at index (len(ds)-1)*p/100 of ds sorted, or 0 when ds is empty.
func Percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// Micros returns d in microseconds, the unit the benchmarks report.
func Micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Summary is the median and the 99th percentile of a set of durations.
type Summary struct {
	P50, P99 time.Duration
}

// Summarize returns the Summary of ds.
func Summarize(ds []time.Duration) Summary {
	return Summary{P50: Percentile(ds, 50), P99: Percentile(ds, 99)}
}

// Reporter takes a benchmark's figures: a *testing.B.
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// Report reports s to r as the metrics prefix+"p50-µs" and
// prefix+"p99-µs".
func (s Summary) Report(r Reporter, prefix string) {
	r.ReportMetric(Micros(s.P50), prefix+"p50-µs")
	r.ReportMetric(Micros(s.P99), prefix+"p99-µs")
}

// Deliver ends a Maildir delivery into dir as a sender does: data is
// written to tmp/ under the i-th of a series of unique names, then renamed
// into new/. It returns when the rename began and how long it took: the
// bare filesystem operation that a wake-up's latency is measured against.
func Deliver(dir string, i int, data []byte) (start time.Time, took time.Duration, err error) {
	tmp := filepath.Join(dir, "tmp", fmt.Sprint(i))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return time.Time{}, 0, err
	}
	start = time.Now()
	if err := os.Rename(tmp, filepath.Join(dir, "new", fmt.Sprintf("%d.M1P1Q%d.h", 1700000000+i, i))); err != nil {
		return time.Time{}, 0, err
	}
	return start, time.Since(start), nil
}
