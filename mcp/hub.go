package mcp

// The hub: what every ready session is offered, and the bounded set of
// message ids a session remembers.

import (
	"sync"
)

// pushItem is one channel event to push.
type pushItem struct {
	id     string         // message id: the key that stops a second push to a session
	path   string         // the message file in new/; "" for notices
	to     string         // the mailbox it is in, for its delivery state
	params map[string]any // content and meta
}

// hub knows which sessions are ready and hands each new push to all of
// them. What a session was sent is the session's own business (its known
// set), so a session that stopped listening without ending swallows
// nothing another session needed; and a session that becomes ready catches
// up from the mailbox itself (Server.catchUp), not from the hub.
type hub struct {
	mu      sync.Mutex
	ready   map[*session]struct{}
	total   uint64 // pushes accepted, all sessions
	refused uint64 // sends the transport refused (the client lagged), each retried
}

func newHub() *hub { return &hub{ready: map[*session]struct{}{}} }

// offer queues it for every ready session that has not had it.
func (h *hub) offer(it *pushItem) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ss := range h.ready {
		ss.enqueue(it)
	}
}

// join makes ss ready: from now on it gets every push.
func (h *hub) join(ss *session) {
	h.mu.Lock()
	h.ready[ss] = struct{}{}
	h.mu.Unlock()
}

// leave forgets ss and drops what it had not pushed: the mail is still
// unread in the mailbox, and every other session has its own queue.
func (h *hub) leave(ss *session) {
	h.mu.Lock()
	delete(h.ready, ss)
	h.mu.Unlock()
	ss.drain()
}

// sessions returns the ready sessions.
func (h *hub) sessions() []*session {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*session, 0, len(h.ready))
	for ss := range h.ready {
		out = append(out, ss)
	}
	return out
}

// sent counts a push a session accepted.
func (h *hub) sent() {
	h.mu.Lock()
	h.total++
	h.mu.Unlock()
}

// refusal counts a send the transport refused.
func (h *hub) refusal() {
	h.mu.Lock()
	h.refused++
	h.mu.Unlock()
}

// stats returns how many pushes were accepted, how many wait in the queues
// of the ready sessions, and how many sends were refused and retried.
func (h *hub) stats() (pushed uint64, waiting int, refused uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ss := range h.ready {
		waiting += ss.queued()
	}
	return h.total, waiting, h.refused
}

// idSet is a set of ids that forgets the oldest beyond its limit.
type idSet struct {
	ids   map[string]struct{}
	order []string // ring of the ids, oldest at next
	next  int
}

func newIDSet(limit int) idSet {
	return idSet{ids: make(map[string]struct{}, min(limit, 1024)), order: make([]string, 0, limit)}
}

func (s *idSet) has(id string) bool { _, ok := s.ids[id]; return ok }

func (s *idSet) add(id string) {
	if s.has(id) {
		return
	}
	if len(s.order) < cap(s.order) {
		s.order = append(s.order, id)
	} else {
		delete(s.ids, s.order[s.next])
		s.order[s.next] = id
		s.next = (s.next + 1) % len(s.order)
	}
	s.ids[id] = struct{}{}
}
