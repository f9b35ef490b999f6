package mcp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// Backoff bounds for a push the transport refused because the client lags.
const (
	minBackoff = time.Millisecond
	maxBackoff = 100 * time.Millisecond
)

// pushItem is one channel event to push.
type pushItem struct {
	id     string         // message id: the key that stops a second push
	path   string         // the message file in new/; "" for notices
	params map[string]any // content and meta
}

// hub decides which session pushes what. Mail found while no session is
// ready waits in pending; mail found later goes to every ready session.
// A message is remembered as pushed once a session accepted it, so the
// watcher's repeats (rescans, the moves of a rename) push nothing twice.
type hub struct {
	mu       sync.Mutex
	ready    map[*session]struct{}
	pending  []*pushItem    // found while no session was ready, oldest first
	inflight map[string]int // id → sessions (or the pending list) still holding it
	pushed   idSet
	total    uint64 // pushes accepted, all sessions
	refused  uint64 // sends the transport refused (the client lagged), each retried
}

func newHub(limit int) *hub {
	return &hub{ready: map[*session]struct{}{}, inflight: map[string]int{}, pushed: newIDSet(limit)}
}

// offer queues it for every ready session, or for the first to become
// ready. It reports false for a message already pushed or queued.
func (h *hub) offer(it *pushItem) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pushed.has(it.id) || h.inflight[it.id] > 0 {
		return false
	}
	if len(h.ready) == 0 {
		h.pending = append(h.pending, it)
		h.inflight[it.id] = 1
		return true
	}
	h.inflight[it.id] = len(h.ready)
	for ss := range h.ready {
		ss.enqueue(it)
	}
	return true
}

// join makes ss ready: from now on it gets every push, and the pushes
// that waited for a ready session.
func (h *hub) join(ss *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ready[ss] = struct{}{}
	for _, it := range h.pending {
		ss.enqueue(it)
	}
	h.pending = nil
}

// leave forgets ss and hands what it had not pushed to another ready
// session, or back to pending: a session that goes away loses nothing.
func (h *hub) leave(ss *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.ready, ss)
	var orphans []*pushItem
	for _, it := range ss.drain() {
		h.inflight[it.id]--
		if h.inflight[it.id] > 0 {
			continue
		}
		delete(h.inflight, it.id)
		if !h.pushed.has(it.id) {
			orphans = append(orphans, it)
		}
	}
	for _, it := range orphans {
		h.inflight[it.id] = 1
	}
	for heir := range h.ready {
		for _, it := range orphans {
			heir.enqueue(it)
		}
		return
	}
	h.pending = append(h.pending, orphans...)
}

// sent records that a session accepted it.
func (h *hub) sent(it *pushItem) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pushed.add(it.id)
	h.total++
	h.release(it)
}

// skipped records that a session will not push it: the message was read
// before its turn came.
func (h *hub) skipped(it *pushItem) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.release(it)
}

func (h *hub) release(it *pushItem) {
	if h.inflight[it.id]--; h.inflight[it.id] <= 0 {
		delete(h.inflight, it.id)
	}
}

// refusal counts a send the transport refused.
func (h *hub) refusal() {
	h.mu.Lock()
	h.refused++
	h.mu.Unlock()
}

// stats returns how many pushes were accepted, how many wait, and how
// many sends were refused and retried.
func (h *hub) stats() (pushed uint64, waiting int, refused uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total, len(h.inflight), h.refused
}

// idSet is a set of ids that forgets the oldest beyond its limit.
type idSet struct {
	ids   map[string]struct{}
	order []string // ring of the ids, oldest at next
	next  int
}

func newIDSet(limit int) idSet {
	return idSet{ids: make(map[string]struct{}, limit), order: make([]string, 0, limit)}
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

// session is one client session's outbox: the channel events still to push
// and the resources it subscribed to that changed since it was told.
type session struct {
	id   string
	wake chan struct{} // a token when there is something to do
	done chan struct{} // closed when the session is unregistered

	mu      sync.Mutex
	cs      server.ClientSession // nil until registered
	serving bool                 // a sender goroutine runs for it
	ready   bool                 // initialized: pushes may go
	initAt  time.Time            // when it was first seen initialized
	queue   []*pushItem
	subs    map[string]bool
	dirty   []string
	isDirty map[string]bool
	closed  bool
}

func newSession(id string) *session {
	return &session{id: id, wake: make(chan struct{}, 1), done: make(chan struct{}),
		subs: map[string]bool{}, isDirty: map[string]bool{}}
}

func (ss *session) poke() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

func (ss *session) enqueue(it *pushItem) {
	ss.mu.Lock()
	ss.queue = append(ss.queue, it)
	ss.mu.Unlock()
	ss.poke()
}

// drain empties the queue, for the hub when the session goes.
func (ss *session) drain() []*pushItem {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	q := ss.queue
	ss.queue = nil
	return q
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

// pop removes it, the head of the queue, once it has been dealt with.
func (ss *session) pop(it *pushItem) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.queue) > 0 && ss.queue[0] == it {
		ss.queue[0] = nil
		ss.queue = ss.queue[1:]
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
// (notifications/initialized, or a request after initialize), or it has
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

// session returns the state of session id, creating it: hooks for one
// session may run before it is registered (over HTTP a client can post
// notifications/initialized before the server has filed its session).
func (s *Server) session(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		ss = newSession(id)
		s.sessions[id] = ss
	}
	return ss
}

// serveSession starts the sender of a registered session, once.
func (s *Server) serveSession(ss *session) {
	ss.mu.Lock()
	start := !ss.serving && ss.cs != nil
	ss.serving = ss.serving || start
	ss.mu.Unlock()
	if start {
		s.async(func() { s.send(ss) })
	}
}

// send pushes ss's outbox for as long as the session lives: first
// whatever waits, in order, then the resources that changed. A push the
// transport refuses is retried with backoff; nothing is dropped.
func (s *Server) send(ss *session) {
	defer s.hub.leave(ss)
	if !s.awaitReady(ss) {
		return
	}
	s.hub.join(ss)
	var backoff time.Duration
	for {
		it, uri := ss.next()
		if it == nil && uri == "" {
			select {
			case <-ss.wake:
				continue
			case <-ss.done:
				return
			case <-s.ctx.Done():
				return
			}
		}
		if it != nil && it.path != "" && !s.stillUnread(it.path) {
			ss.pop(it)
			s.hub.skipped(it)
			continue
		}
		var err error
		if it != nil {
			err = s.mcp.SendNotificationToSpecificClient(ss.id, ChannelMethod, it.params)
		} else {
			err = s.mcp.SendNotificationToSpecificClient(ss.id, "notifications/resources/updated", map[string]any{"uri": uri})
		}
		switch {
		case err == nil:
			backoff = 0
			if it != nil {
				ss.pop(it)
				s.hub.sent(it)
			}
		case errors.Is(err, server.ErrNotificationChannelBlocked), errors.Is(err, server.ErrSessionNotInitialized):
			s.hub.refusal()
			if uri != "" {
				ss.touch(uri)
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			if !s.pause(ss, backoff) {
				return
			}
		default: // the session is gone
			s.log.Debug("session ended", "session", ss.id, "err", err)
			return
		}
	}
}

// awaitReady waits until ss may be pushed to; false if it went first.
func (s *Server) awaitReady(ss *session) bool {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !ss.isReady(s.opts.ReadyAfter, time.Now()) {
		select {
		case <-ss.wake:
		case <-t.C:
		case <-ss.done:
			return false
		case <-s.ctx.Done():
			return false
		}
	}
	return true
}

// pause sleeps for d unless the session or the server ends first.
func (s *Server) pause(ss *session, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ss.done:
		return false
	case <-s.ctx.Done():
		return false
	}
}

// stillUnread reports whether the message at path is still unread: in new/
// where it was found, or in the agent's new/ under the same name (a rename
// moved it there).
func (s *Server) stillUnread(path string) bool {
	if _, err := os.Lstat(path); err == nil {
		return true
	}
	cur := s.agent.who()
	if cur == nil {
		return false
	}
	_, err := os.Lstat(filepath.Join(cur.dir, filepath.Base(path)))
	return err == nil
}

// arrived handles a file that appeared in a watched new/ folder.
func (s *Server) arrived(ev watcher.Event) {
	dir := filepath.Clean(ev.Dir)
	if cur := s.agent.who(); cur != nil && cur.dir == dir {
		s.agent.signal()
		if !cur.skip[ev.Name] {
			s.pushFile(cur, ev.Name)
		}
		s.touched(statusURI)
	}
	s.touched(inboxURI(filepath.Base(filepath.Dir(dir))))
}

// pushFile reads one message in the agent's new/ and offers it for pushing.
func (s *Server) pushFile(cur *identity, name string) {
	m, err := cur.mb.ReadNew(name)
	switch {
	case errors.Is(err, fs.ErrNotExist): // read already
		return
	case err != nil:
		s.log.Warn("mail not pushed", "file", filepath.Join(cur.dir, name), "err", err)
		return
	}
	s.hub.offer(messageItem(cur.name, m))
}

// touched tells the sessions subscribed to uri that it changed.
func (s *Server) touched(uri string) {
	s.mu.Lock()
	list := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		list = append(list, ss)
	}
	s.mu.Unlock()
	for _, ss := range list {
		ss.touch(uri)
	}
}

// messageItem is the channel event for m, found in to's mailbox. The meta
// keys are identifiers (letters, digits, underscores) and every value a
// string, as Claude Code requires; each becomes an attribute of the
// <channel> tag the model reads.
func messageItem(to string, m *spool.Message) *pushItem {
	from := m.From
	if from == "" {
		from = "unknown"
	}
	meta := map[string]string{"from": from, "to": to, "message_id": m.ID, "thread": m.Thread()}
	if m.Subject != "" {
		meta["subject"] = m.Subject
	}
	return &pushItem{id: m.ID, path: m.Path, params: map[string]any{"content": channelContent(m), "meta": meta}}
}

// channelContent is a message as the model should read it: the text, then
// the data that came with it.
func channelContent(m *spool.Message) string {
	body := strings.TrimRight(m.Body, "\n")
	if len(m.Data) > 0 {
		if body == "" {
			return "data: " + string(m.Data)
		}
		body += "\n\ndata: " + string(m.Data)
	}
	if body == "" {
		body = "(empty message)"
	}
	return body
}

// backlogNotice is the one event that stands for the n messages found
// waiting at registration.
func backlogNotice(name string, n int, now time.Time) *pushItem {
	return &pushItem{
		id: fmt.Sprintf("notice:%s:%d", name, now.UnixNano()),
		params: map[string]any{
			"content": fmt.Sprintf("%d unread messages were waiting for %s when it registered; they are not shown one by one. Call check to read them.", n, name),
			"meta":    map[string]string{"from": "ipc", "to": name, "subject": fmt.Sprintf("%d unread messages waiting", n)},
		},
	}
}
