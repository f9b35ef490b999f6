package bench

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claude-ipc/ipc/internal/latency"
)

// work is one side of a comparison: it does its operation with the given
// number of workers until the deadline (each worker at least once) and
// returns how many operations were done. op gets a number unique in the
// run, for file names.
type work func(seq *atomic.Int64, deadline time.Time) (int, error)

// workers makes a work that runs op in n goroutines at once.
func workers(n int, op func(worker int, seq int64) error) work {
	return func(seq *atomic.Int64, deadline time.Time) (int, error) {
		var (
			wg    sync.WaitGroup
			total atomic.Int64
			mu    sync.Mutex
			first error
		)
		for w := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i == 0 || time.Now().Before(deadline); i++ {
					if err := op(w, seq.Add(1)); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
					total.Add(1)
				}
			}()
		}
		wg.Wait()
		return int(total.Load()), first
	}
}

// pace is how long and how often two sides take turns.
type pace struct {
	rounds int           // turns of each side
	turn   time.Duration // how long one turn lasts (at least one operation)
	budget time.Duration // no new round after this long (the first always runs)
}

// compared is the outcome of rates: each side's operations per second
// over all its turns, and the ratio ipc ÷ bare of each round alone.
type compared struct {
	bare, ipc float64
	rounds    []float64
}

// figure makes the rate Figure of c; its note gives the spread of the
// rounds' ratios, which says how steady the machine was.
func (c compared) figure(group, name, yard string) Figure {
	f := rate(group, name, c.ipc, c.bare, yard)
	if len(c.rounds) > 1 {
		f.Note = fmt.Sprintf("%d rounds, each %s–%s", len(c.rounds), times(slices.Min(c.rounds)), times(slices.Max(c.rounds)))
	}
	return f
}

// rates runs bare and ipc turn about, the order swapped every round so
// neither always runs on a warmer machine, with reset (when not nil)
// between turns, untimed.
func rates(p pace, bare, ipc work, reset func() error) (compared, error) {
	var seq atomic.Int64
	var n [2]int
	var d [2]time.Duration
	var c compared
	sides := [2]work{bare, ipc}
	begin := time.Now()
	for r := 0; r < p.rounds && (r == 0 || time.Since(begin) < p.budget); r++ {
		var round [2]float64
		for k := range 2 {
			side := (r + k) % 2
			start := time.Now()
			done, err := sides[side](&seq, start.Add(p.turn))
			if err != nil {
				return c, err
			}
			took := time.Since(start)
			d[side] += took
			n[side] += done
			round[side] = perSecond(done, took)
			if reset != nil {
				if err := reset(); err != nil {
					return c, fmt.Errorf("reset between turns: %w", err)
				}
			}
		}
		c.rounds = append(c.rounds, ratio(round[1], round[0]))
	}
	c.bare, c.ipc = perSecond(n[0], d[0]), perSecond(n[1], d[1])
	return c, nil
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// durations runs bare and ipc one operation each turn about, the order
// swapped every round, until both have n samples or the budget is spent
// (each at least once), and returns the median time of each.
func durations(n int, budget time.Duration, bare, ipc func() (time.Duration, error)) (bareD, ipcD dist, err error) {
	var got [2][]time.Duration
	sides := [2]func() (time.Duration, error){bare, ipc}
	end := time.Now().Add(budget)
	for r := 0; r < n && (r == 0 || time.Now().Before(end)); r++ {
		for k := range 2 {
			side := (r + k) % 2
			d, err := sides[side]()
			if err != nil {
				return dist{}, dist{}, err
			}
			got[side] = append(got[side], d)
		}
	}
	return summarize(got[0]), summarize(got[1]), nil
}

// dist is a set of durations summarised.
type dist struct {
	N             int
	P50, P99, Max time.Duration
}

func summarize(ds []time.Duration) dist {
	if len(ds) == 0 {
		return dist{}
	}
	return dist{N: len(ds), P50: latency.Percentile(ds, 50), P99: latency.Percentile(ds, 99), Max: slices.Max(ds)}
}

// latencies makes the three Figures (p50, p99, max) of a latency
// distribution beside the bare one.
func latencies(group, name string, ipc, bare dist, yard, note string) []Figure {
	out := []Figure{
		took(group, name+" p50", ipc.P50, bare.P50, yard),
		took(group, name+" p99", ipc.P99, bare.P99, yard),
		took(group, name+" max", ipc.Max, bare.Max, yard),
	}
	for i := range out {
		out[i].Note = samples(ipc.N)
		if note != "" {
			out[i].Note += "; " + note
		}
	}
	return out
}

func samples(n int) string { return fmt.Sprintf("%d sample%s", n, plural(n)) }
