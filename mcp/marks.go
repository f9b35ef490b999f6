package mcp

// Notified marks, off the push path: a channel event goes out as soon as
// it is written, and the marker files that record it (one per message)
// follow in batches on a goroutine of their own, so a burst of mail is
// pushed at the rate the client reads, not at the rate the disk creates
// files.

import (
	"sync"

	"github.com/claude-ipc/ipc/spool"
)

// marks holds the messages pushed but not yet marked notified.
type marks struct {
	mu      sync.Mutex
	pending map[string][]string // mailbox → ids, in push order
	wake    chan struct{}
}

func newMarks() *marks { return &marks{pending: map[string][]string{}, wake: make(chan struct{}, 1)} }

// add records that message id of mailbox to was pushed.
func (m *marks) add(to, id string) {
	m.mu.Lock()
	m.pending[to] = append(m.pending[to], id)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// take returns what is pending and forgets it.
func (m *marks) take() map[string][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.pending) == 0 {
		return nil
	}
	p := m.pending
	m.pending = map[string][]string{}
	return p
}

// markLoop marks what was pushed until the server stops, and then what
// is left (Close marks what senders still added after that, once they
// have all returned): a push the server made is marked unless the
// process dies first, when the state shows less than it reached (as
// after a power cut), never more.
func (s *Server) markLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.marks.wake:
		case <-s.ctx.Done():
			s.markPending()
			return
		}
		s.markPending()
	}
}

// markPending marks every pending message notified.
func (s *Server) markPending() {
	for to, ids := range s.marks.take() {
		s.rules.Mark(to, spool.Notified, ids...)
	}
}
