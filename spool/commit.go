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
	failed  uint64 // the last fsync that failed, and how
	err     error
}

// syncNew fsyncs the directory dir (a new/) for a caller whose entries in
// it are in place, sharing the fsync with concurrent callers.
func (s *Spool) syncNew(dir string) error {
	v, ok := s.commits.Load(dir)
	if !ok {
		g := &groupCommit{}
		g.ended = sync.NewCond(&g.mu)
		v, _ = s.commits.LoadOrStore(dir, g)
	}
	return v.(*groupCommit).sync(func() error { return s.fs.SyncDir(dir) })
}

// sync returns once an fsync (do) that began after the call has ended,
// with its error. If none is running it runs one; if one is, it waits for
// that one and then runs or waits for the next.
func (g *groupCommit) sync(do func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	need := g.begun + 1 // the first fsync to begin from now on
	for g.done < need {
		if g.running {
			g.ended.Wait()
			continue
		}
		g.running = true
		g.begun++
		n := g.begun
		g.mu.Unlock()
		err := do()
		g.mu.Lock()
		g.running, g.done = false, n
		if err != nil {
			g.failed, g.err = n, err
		}
		g.ended.Broadcast()
	}
	if g.failed >= need { // this one or a later one failed: vouch for nothing
		return g.err
	}
	return nil
}
