package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// A burst is the scale's Burst messages renamed into a mailbox's new/ as
// fast as one writer can, each prepared in tmp/ beforehand; every
// consumer's report of each is matched to its rename.

// burstFiles is a prepared burst: where each file is and where its rename
// puts it.
type burstFiles struct{ tmp, dst []string }

// prepareBurst puts n messages into dir's tmp/.
func prepareBurst(dir string, n int) (*burstFiles, error) {
	b := &burstFiles{tmp: make([]string, n), dst: make([]string, n)}
	for i := range n {
		var err error
		if b.tmp[i], b.dst[i], err = prepare(dir, i); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// rename renames every file and returns when each rename began.
func (b *burstFiles) rename() ([]time.Time, error) {
	starts := make([]time.Time, len(b.tmp))
	for i := range b.tmp {
		starts[i] = time.Now()
		if err := os.Rename(b.tmp[i], b.dst[i]); err != nil {
			return nil, err
		}
	}
	return starts, nil
}

// burstResult is what a consumer reported of a burst.
type burstResult struct {
	lat        []time.Duration // each reported message's rename → report
	missed     int             // messages never reported
	dup        int             // reports of a message already reported
	outOfOrder int             // reports of a message older than one reported before
	rate       float64         // messages reported a second, first rename → last report
	first      time.Duration   // first rename → first report
}

// collect gathers the reports of a burst renamed at starts until every
// message was reported or none came for quietWait.
func collect(arrived <-chan arrival, starts []time.Time) burstResult {
	return collectWithin(arrived, starts, quietWait)
}

func collectWithin(arrived <-chan arrival, starts []time.Time, quiet time.Duration) burstResult {
	var r burstResult
	seen := make([]bool, len(starts))
	got, highest := 0, -1
	var last time.Time
	for got < len(starts) {
		select {
		case a := <-arrived:
			if a.n < 0 || a.n >= len(starts) {
				continue
			}
			if seen[a.n] {
				r.dup++
				continue
			}
			if got == 0 {
				r.first = a.at.Sub(starts[0])
			}
			seen[a.n], got, last = true, got+1, a.at
			if a.n < highest {
				r.outOfOrder++
			}
			highest = max(highest, a.n)
			r.lat = append(r.lat, a.at.Sub(starts[a.n]))
		case <-time.After(quiet):
			r.missed = len(starts) - got
			got = len(starts)
		}
	}
	if got > 0 && !last.IsZero() {
		r.rate = perSecond(len(r.lat), last.Sub(starts[0]))
	}
	return r
}

// burstFigures makes the latency figures of a burst beside the bare one,
// and the rate at which the consumer took it in.
func burstFigures(what string, ipc, bare burstResult) []Figure {
	name := fmt.Sprintf("rename → %s, %s burst", what, count(fmt.Sprint(len(ipc.lat)+ipc.missed)))
	note := fmt.Sprintf("missed %d (bare %d), twice %d, out of order %d", ipc.missed, bare.missed, ipc.dup, ipc.outOfOrder)
	out := latencies("wake", name, summarize(ipc.lat), summarize(bare.lat), "rename → ipc-bare watch (inotify) printed it", note)
	r := rate("wake", name+": taken in", ipc.rate, bare.rate, "ipc-bare watch printing the same burst")
	r.Note = note
	return append(out, r)
}

// bareBurst runs a burst through ipc-bare watch, on an emptied bare new/.
func (w *wakeWorld) bareBurst() (burstResult, error) {
	if err := emptyDir(filepath.Join(w.bare, "new")); err != nil {
		return burstResult{}, err
	}
	files, err := prepareBurst(w.bare, w.scale.Burst)
	if err != nil {
		return burstResult{}, err
	}
	b, err := w.startBare()
	if err != nil {
		return burstResult{}, err
	}
	defer b.end()
	starts, err := files.rename()
	if err != nil {
		return burstResult{}, err
	}
	return collect(b.arrived, starts), nil
}

// burstMCP bursts into the mailbox of a registered "ipc mcp", whose
// client counts channel notifications.
func (w *wakeWorld) burstMCP() []Figure {
	const what = "MCP notification"
	dir, err := w.mailbox("bmcp")
	if err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	arrived, notify, others := mcpArrivals()
	m, err := w.r.startMCP("bmcp", notify)
	if err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	defer m.close()
	if err := awaitWatching(m.pid(), filepath.Join(dir, "new"), wakeWait); err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	settle(m.pid(), 300*time.Millisecond, 10*time.Second)
	figs := w.burstOf(what, dir, arrived)
	if n := others(); n > 0 {
		for i := range figs {
			figs[i].Note += fmt.Sprintf("; %d other channel events (backlog notices)", n)
		}
	}
	return figs
}

// burstWatch bursts into the mailbox an "ipc watch" follows.
func (w *wakeWorld) burstWatch() []Figure {
	const what = "ipc watch printed it"
	dir, err := w.mailbox("bwatch")
	if err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	c, err := w.watchStart(dir)
	if err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	defer c.end()
	return w.burstOf(what, dir, c.arrived)
}

// burstOf runs the bare burst, then the burst into dir whose consumer
// reports on arrived.
func (w *wakeWorld) burstOf(what, dir string, arrived <-chan arrival) []Figure {
	bare, err := w.bareBurst()
	if err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	files, err := prepareBurst(dir, w.scale.Burst)
	if err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	starts, err := files.rename()
	if err != nil {
		return []Figure{failed("wake", what+", burst", err)}
	}
	return burstFigures(what, collect(arrived, starts), bare)
}

// burstFirst measures a one-shot consumer (ipc wait, the waking hook)
// woken by a burst: from the burst's first rename to its first output
// or its exit, once, beside the bare watcher's first report.
// exits says the consumer reports by exiting (the hook), not by output.
func (w *wakeWorld) burstFirst(what, box string, exits bool, start func(dir string) (*consumer, error)) Figure {
	name := fmt.Sprintf("first of a %s burst: rename → %s", count(fmt.Sprint(w.scale.Burst)), what)
	bare, err := w.bareBurst()
	if err != nil {
		return failed("wake", name, err)
	}
	dir, err := w.mailbox(box)
	if err != nil {
		return failed("wake", name, err)
	}
	files, err := prepareBurst(dir, w.scale.Burst)
	if err != nil {
		return failed("wake", name, err)
	}
	c, err := start(dir)
	if err != nil {
		return failed("wake", name, err)
	}
	defer c.end()
	starts, err := files.rename()
	if err != nil {
		return failed("wake", name, err)
	}
	var d time.Duration
	if exits {
		d, err = c.exited(starts[0])
	} else {
		select {
		case a := <-c.arrived:
			d = a.at.Sub(starts[0])
		case <-time.After(wakeWait):
			err = fmt.Errorf("no output within %s", wakeWait)
		}
	}
	if err != nil {
		return failed("wake", name, err)
	}
	f := took("wake", name, d, bare.first, "first rename → ipc-bare watch printed the first")
	f.Note = "1 sample"
	return f
}
