package spool

import "sync"

// Group commit. Deliveries into one directory that run at the same time
// in this process share its fsync instead of running one each: a delivery that renamed its file
// into new/ while an fsync of new/ was already under way waits for it to
// end and then for the next one, which begins after its rename and so
// covers it, and which it or another waiter runs for all of them at once.
// No delivery returns before an fsync that began after its rename has
// ended: an fsync that was already running when the rename happened
// vouches for nothing, since the entry may have reached the directory
// after the fsync had written it out.
//
// The power-loss simulation (powerloss_test.go) records where each fsync
// began and ended, counts an entry durable only for an fsync that began
// after it, and runs concurrent senders into one mailbox.

// groupCommit serialises and shares the fsyncs of one directory.
type groupCommit struct {
	mu      sync.Mutex
	ended   *sync.Cond // signalled each time an fsync ends
	begun   uint64     // fsyncs begun; they run one at a time
	done    uint64     // fsyncs ended, so done == begun or done == begun-1
	running bool
	// waiting counts, for each fsync, the callers it is the first to cover;
	// errs keeps how such an fsync failed until they have all seen it. A
	// caller answers with its own fsync's outcome, never a later one's: a
	// later failure says nothing of entries an earlier fsync made durable.
	waiting map[uint64]int
	errs    map[uint64]error
}

func newGroupCommit() *groupCommit {
	g := &groupCommit{waiting: map[uint64]int{}, errs: map[uint64]error{}}
	g.ended = sync.NewCond(&g.mu)
	return g
}

// syncNew fsyncs the held directory d (a new/) for a caller whose entries
// in it are in place, sharing the fsync with concurrent callers. They
// share it by the directory's identity (device and inode where held), not
// its path: an fsync of one directory vouches for nothing in another that
// came to have its name.
func (s *Spool) syncNew(d dir) error {
	id := d.ident()
	v, ok := s.commits.Load(id)
	if !ok {
		v, _ = s.commits.LoadOrStore(id, newGroupCommit())
	}
	return v.(*groupCommit).sync(d.sync)
}

// sync returns once an fsync (do) that began after the call has ended,
// with that fsync's error. If none is running it runs one; if one is, it
// waits for that one and then runs or waits for the next.
func (g *groupCommit) sync(do func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	need := g.begun + 1 // the first fsync to begin from now on
	g.waiting[need]++
	defer func() {
		if g.waiting[need]--; g.waiting[need] == 0 {
			delete(g.waiting, need)
			delete(g.errs, need)
		}
	}()
	for g.done < need {
		if g.running {
			g.ended.Wait()
			continue
		}
		g.running = true
		g.begun++
		n := g.begun // == need the first time round: fsyncs begin in order
		g.mu.Unlock()
		err := do()
		g.mu.Lock()
		g.running, g.done = false, n
		if err != nil && g.waiting[n] > 0 {
			g.errs[n] = err
		}
		g.ended.Broadcast()
	}
	return g.errs[need]
}
