package mcp

// Sessions: one client session's outbox and state, each guarded by its
// own lock, and the table of sessions guarded by its own.

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/claude-ipc/ipc/internal/mcpserver"
)

// session is one client session's outbox: the channel events still to push
// and the resources it subscribed to that changed since it was told.
type session struct {
	id   string
	wake chan struct{} // a token when there is something to do
	done chan struct{} // closed when the session is unregistered

	mu      sync.Mutex
	cs      *mcpserver.Session // nil until registered
	serving bool               // a sender goroutine runs for it
	ready   bool               // initialized: pushes may go
	initAt  time.Time          // when it was first seen initialized
	queue   []*pushItem
	known   idSet // ids queued for this session, pushed to it, or counted by a notice to it
	http    bool  // the session came over HTTP
	streams int   // its GET streams open
	subs    map[string]bool
	dirty   []string
	isDirty map[string]bool
	closed  bool
}

func newSession(id string, limit int) *session {
	return &session{id: id, wake: make(chan struct{}, 1), done: make(chan struct{}),
		known: newIDSet(limit), subs: map[string]bool{}, isDirty: map[string]bool{}}
}

func (ss *session) poke() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

// enqueue queues it unless the session had it already (queued, pushed or
// counted by a notice) or has ended; it reports whether it did.
func (ss *session) enqueue(it *pushItem) bool {
	ss.mu.Lock()
	if ss.closed || ss.known.has(it.id) {
		ss.mu.Unlock()
		return false
	}
	ss.known.add(it.id)
	ss.queue = append(ss.queue, it)
	ss.mu.Unlock()
	ss.poke()
	return true
}

// enqueueFront queues the items the session has not had ahead of what
// is queued, in their order: catch-up's mail is older than the arrivals
// queued while it listed the mailbox, and is pushed first. It reports
// how many it queued.
func (ss *session) enqueueFront(items []*pushItem) int {
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return 0
	}
	var front []*pushItem
	for _, it := range items {
		if !ss.known.has(it.id) {
			ss.known.add(it.id)
			front = append(front, it)
		}
	}
	ss.queue = append(front, ss.queue...)
	ss.mu.Unlock()
	if len(front) > 0 {
		ss.poke()
	}
	return len(front)
}

// knows reports whether the session had message id: queued, pushed or
// counted by a notice.
func (ss *session) knows(id string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.known.has(id)
}

// had records ids as had: a notice queued for the session counted them.
func (ss *session) had(ids []string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, id := range ids {
		ss.known.add(id)
	}
}

// request records the start (+1) or end (-1) of an HTTP request of the
// session, a GET stream or a POST (which makes it an HTTP session); the
// sender is woken at each.
func (ss *session) request(method string, delta int) {
	ss.mu.Lock()
	ss.http = true
	if method == http.MethodGet {
		ss.streams += delta
	}
	ss.mu.Unlock()
	ss.poke()
}

// canPush reports whether a notification sent now reaches the client: an
// HTTP session needs an open GET stream.
func (ss *session) canPush() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return !ss.http || ss.streams > 0
}

// queued returns how many pushes wait.
func (ss *session) queued() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.queue)
}

// drain empties the queue, once the session has gone.
func (ss *session) drain() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.queue = nil
}

// next returns the oldest push, else a changed resource to announce (taken
// off the dirty list; put it back with touch if the send fails).
func (ss *session) next() (*pushItem, string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.queue) > 0 {
		return ss.queue[0], ""
	}
	if len(ss.dirty) > 0 {
		uri := ss.dirty[0]
		ss.dirty = ss.dirty[1:]
		delete(ss.isDirty, uri)
		return nil, uri
	}
	return nil, ""
}

// pop removes it from the queue once it has been dealt with: the head,
// unless a catch-up queued older mail ahead of it meanwhile.
func (ss *session) pop(it *pushItem) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.queue) > 0 && ss.queue[0] == it {
		ss.queue[0] = nil
		ss.queue = ss.queue[1:]
		return
	}
	if i := slices.Index(ss.queue, it); i >= 0 {
		ss.queue = slices.Delete(ss.queue, i, i+1)
	}
}

// touch notes that uri changed, if the session subscribed to it.
func (ss *session) touch(uri string) {
	ss.mu.Lock()
	if !ss.subs[uri] || ss.isDirty[uri] {
		ss.mu.Unlock()
		return
	}
	ss.dirty = append(ss.dirty, uri)
	ss.isDirty[uri] = true
	ss.mu.Unlock()
	ss.poke()
}

// markReady lets pushes go to the session.
func (ss *session) markReady() {
	ss.mu.Lock()
	ss.ready = true
	ss.mu.Unlock()
	ss.poke()
}

// isReady reports whether the session initialized: it said so
// (notifications/initialized, or a request after initialize other than
// ping), or it has
// been initialized for longer than grace without saying so.
func (ss *session) isReady(grace time.Duration, now time.Time) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.ready || ss.cs == nil || !ss.cs.Initialized() {
		return ss.ready
	}
	if ss.initAt.IsZero() {
		ss.initAt = now
	}
	ss.ready = now.Sub(ss.initAt) >= grace
	return ss.ready
}

func (ss *session) close() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.closed {
		ss.closed = true
		close(ss.done)
	}
}

// sessionTable holds the server's sessions by MCP session id. It has its
// own lock, so looking a session up never waits for the server's.
type sessionTable struct {
	mu    sync.Mutex
	limit int // how many pushed ids a new session remembers
	byID  map[string]*session
}

func newSessionTable(limit int) *sessionTable {
	return &sessionTable{limit: limit, byID: map[string]*session{}}
}

// get returns session id, nil if there is none.
func (t *sessionTable) get(id string) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byID[id]
}

// make returns session id, creating it.
func (t *sessionTable) make(id string) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	ss := t.byID[id]
	if ss == nil {
		ss = newSession(id, t.limit)
		t.byID[id] = ss
	}
	return ss
}

// remove forgets session id and returns it, nil if there was none.
func (t *sessionTable) remove(id string) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	ss := t.byID[id]
	delete(t.byID, id)
	return ss
}

// list returns the sessions known now, to act on without the lock.
func (t *sessionTable) list() []*session {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*session, 0, len(t.byID))
	for _, ss := range t.byID {
		out = append(out, ss)
	}
	return out
}

// count returns how many sessions there are.
func (t *sessionTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID)
}

// existing returns the state of session id, nil if there is none.
func (s *Server) existing(id string) *session { return s.sessions.get(id) }

// session returns the state of session id, creating it: hooks for one
// session may run before it is registered (over HTTP a client can post
// notifications/initialized before the server has filed its session).
func (s *Server) session(id string) *session { return s.sessions.make(id) }

// sessionList returns the sessions known now, to act on without a lock.
func (s *Server) sessionList() []*session { return s.sessions.list() }
