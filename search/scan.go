package search

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// chunk is how many files the scan reads at once, in parallel, before it
// looks whether it has enough hits.
const chunk = 256

// dateSlack is how much earlier than its Date a message may have arrived
// (clocks disagree) and still be read for an after: bound.
const dateSlack = 24 * time.Hour

// scan answers q by listing the mailboxes q can match, keeping the entries
// whose names can match (mailbox, unread state, id), and reading them
// newest first until enough match.
func scan(ctx context.Context, sp *spool.Spool, q Query, opts Options) (Result, error) {
	ents, err := candidates(sp, q)
	if err != nil {
		return Result{}, err
	}
	c := &collector{opts: opts}
	workers := runtime.GOMAXPROCS(0)
	for start := 0; start < len(ents) && !c.full(); start += chunk {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		batch := ents[start:min(start+chunk, len(ents))]
		hits := make([]*Hit, len(batch))
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range next {
					if h, ok := check(sp, q, batch[i].e); ok {
						hits[i] = &h
					}
				}
			})
		}
		for i := range batch {
			next <- i
		}
		close(next)
		wg.Wait()
		for _, h := range hits {
			if h != nil && c.add(*h) {
				break
			}
		}
	}
	return c.result(EngineScan), nil
}

// candidates lists the entries q may match, newest first.
func candidates(sp *spool.Spool, q Query) ([]timedEntry, error) {
	names, err := sp.Names()
	if err != nil {
		return nil, err
	}
	var all [][]spool.Entry
	for _, n := range names {
		if len(q.To) > 0 && !contains(q.To, strings.ToLower(n)) {
			continue
		}
		mb, err := sp.Mailbox(n)
		if err != nil {
			continue
		}
		ents, err := mb.Entries()
		if err != nil {
			return nil, err
		}
		all = append(all, ents)
	}
	after := q.After
	if q.Thread != "" {
		// Answers come after what they answer: a thread whose first message
		// is here by its id need not be looked for in mail older than it.
		if t, ok := threadStart(all, q.Thread); ok && t.After(after) {
			after = t
		}
	}
	var out []timedEntry
	for _, ents := range all {
		for _, e := range ents {
			if !q.matchEntry(e) {
				continue
			}
			at := arrival(sp, e)
			// Mail is dated when it was sent, before it arrived; a day of
			// slack covers skewed clocks, so a file that arrived well before
			// the range is not worth opening.
			if !after.IsZero() && at.Before(after.Add(-dateSlack)) {
				continue
			}
			out = append(out, timedEntry{e: e, at: at})
		}
	}
	slices.SortFunc(out, newestFirst)
	return out, nil
}

// threadStart returns when the message id arrived, if a file name of ours
// carries it.
func threadStart(all [][]spool.Entry, id string) (time.Time, bool) {
	var first time.Time
	for _, ents := range all {
		for _, e := range ents {
			if e.ID() != id {
				continue
			}
			if t, ok := e.Arrived(); ok && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
	}
	return first, !first.IsZero()
}

// statEntry stats an entry's file without following a symlink.
func statEntry(sp *spool.Spool, e spool.Entry) (os.FileInfo, error) {
	return os.Lstat(filepath.Join(sp.MailDir(), e.Mailbox, e.Dir, e.Name))
}
