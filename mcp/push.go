package mcp

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

// Backoff bounds for a push the transport refused because the client lags.
const (
	minBackoff = time.Millisecond
	maxBackoff = 100 * time.Millisecond
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
	known   idSet // ids queued for this session, pushed to it, or announced by a notice
	http    bool  // the session came over HTTP
	streams int   // its GET streams open
	posts   int   // its POSTs being answered
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
// announced) or has ended; it reports whether it did.
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

// knows reports whether the session had message id: queued, pushed or
// announced.
func (ss *session) knows(id string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.known.has(id)
}

// announce records ids as told by a notice, so that none is pushed.
func (ss *session) announce(ids []string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, id := range ids {
		ss.known.add(id)
	}
}

// request records the start (+1) or end (-1) of an HTTP request of the
// session, a GET stream or a POST; the sender is woken at each end.
func (ss *session) request(method string, delta int) {
	ss.mu.Lock()
	ss.http = true
	if method == http.MethodGet {
		ss.streams += delta
	} else {
		ss.posts += delta
	}
	ss.mu.Unlock()
	ss.poke()
}

// canPush reports whether a notification sent now reaches the client: an
// HTTP session needs an open GET stream and no POST being answered.
func (ss *session) canPush() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return !ss.http || (ss.streams > 0 && ss.posts == 0)
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

// existing returns the state of session id, nil if there is none.
func (s *Server) existing(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// session returns the state of session id, creating it: hooks for one
// session may run before it is registered (over HTTP a client can post
// notifications/initialized before the server has filed its session).
func (s *Server) session(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		ss = newSession(id, s.opts.PushedIDs)
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

// send pushes ss's outbox for as long as the session lives: first the
// unread mail it has not had, then whatever comes, in order, then the
// resources that changed. A push the transport refuses is retried with
// backoff; nothing is dropped while the session lives.
func (s *Server) send(ss *session) {
	defer s.hub.leave(ss)
	if !s.awaitReady(ss) {
		return
	}
	s.hub.join(ss)
	s.catchUp(ss, s.agent.who())
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
		if !s.awaitQuiet(ss) {
			return
		}
		if it != nil && it.path != "" {
			if !s.awaitNoWait(ss) {
				return
			}
			if !s.stillUnread(it.path) {
				ss.pop(it)
				continue
			}
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
				s.hub.sent()
				if it.path != "" {
					// Pushed, not surfaced: most clients drop channel events
					// unseen, so the hooks still tell the session of it.
					s.rules.Mark(it.to, spool.Notified, it.id)
				}
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

// catchUp queues for ss the unread mail of id it has not had, oldest
// first; when there is more than Options.Backlog of it, one notice says
// how much instead, so a full mailbox does not flood the model.
func (s *Server) catchUp(ss *session, id *identity) {
	if id == nil {
		return
	}
	names, err := readNames(id.dir)
	if err != nil {
		return
	}
	var fresh []*spool.Message
	for _, n := range names {
		m, err := id.mb.ReadNew(n)
		switch {
		case errors.Is(err, fs.ErrNotExist): // read meanwhile
		case err != nil: // quarantined, or still being written (the watcher reports it once complete)
			s.log.Debug("mail not pushed", "file", filepath.Join(id.dir, n), "err", err)
		case !ss.knows(m.ID):
			fresh = append(fresh, m)
		}
	}
	if len(fresh) > s.opts.Backlog {
		ids := make([]string, len(fresh))
		for i, m := range fresh {
			ids[i] = m.ID
		}
		ss.announce(ids)
		ss.enqueue(backlogNotice(id.name, len(fresh), s.sp.Now()))
		return
	}
	sortMessages(fresh)
	for _, m := range fresh {
		ss.enqueue(messageItem(id.name, m))
	}
}

// awaitQuiet holds pushes to an HTTP session until it has a GET stream
// open and none of its POSTs is being answered. mcp-go hands a session's
// notifications to whichever of its requests takes them first: one taken
// by a POST goes into that POST's response, where a client ignores it if
// the POST was a notification (notifications/initialized: just when the
// session becomes ready and catches up), and mcp-go drops it if it took
// it as the request ended. Only the GET stream is sure to carry it. It
// reports false if the session or the server ended first.
func (s *Server) awaitQuiet(ss *session) bool {
	for !ss.canPush() {
		select {
		case <-ss.wake:
		case <-ss.done:
			return false
		case <-s.ctx.Done():
			return false
		}
	}
	return true
}

// awaitNoWait holds a push of mail while a wait call is blocked: the mail
// it waits for is its answer, and is read by the time the push would go.
// It reports false if the session or the server ended first.
func (s *Server) awaitNoWait(ss *session) bool {
	for {
		idle := s.agent.waitIdle()
		if idle == nil {
			return true
		}
		select {
		case <-idle:
		case <-ss.done:
			return false
		case <-s.ctx.Done():
			return false
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

// arrived handles mail that became unread in a followed mailbox: the
// agent's own is pushed to the ready sessions and wakes its waits;
// subscribers of that inbox are told.
func (s *Server) arrived(ev follow.Event) {
	if cur := s.agent.who(); cur != nil && cur.name == ev.Name {
		s.agent.signal()
		s.push(cur, ev)
		s.touched(statusURI)
	}
	s.touched(inboxURI(ev.Name))
}

// push offers the message of ev, found in the agent's mailbox, to the
// ready sessions.
func (s *Server) push(cur *identity, ev follow.Event) {
	if ev.Err != nil {
		s.log.Warn("mail not pushed", "file", filepath.Join(ev.Dir, ev.File), "err", ev.Err)
		return
	}
	s.hub.offer(messageItem(cur.name, ev.Message))
}

// touched tells the sessions subscribed to uri that it changed.
func (s *Server) touched(uri string) {
	for _, ss := range s.sessionList() {
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
	meta := map[string]string{"from": from, "to": to, "message_id": m.ID, "thread": m.Thread(),
		"provenance": string(m.Provenance)}
	if m.ProvenanceHost != "" {
		meta["provenance_host"] = m.ProvenanceHost
	}
	if m.Subject != "" {
		meta["subject"] = m.Subject
	}
	return &pushItem{id: m.ID, path: m.Path, to: to, params: map[string]any{"content": channelContent(m), "meta": meta}}
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
	if c := m.Caution(); c != "" {
		body = fmt.Sprintf("[%s: %s]\n%s", strings.ToUpper(string(m.Provenance)), c, body)
	}
	return body
}

// backlogNotice is the one event that stands for n unread messages of
// name, pushed instead of n events.
func backlogNotice(name string, n int, now time.Time) *pushItem {
	return &pushItem{
		id: fmt.Sprintf("notice:%s:%d", name, now.UnixNano()),
		params: map[string]any{
			"content": fmt.Sprintf("%d unread messages are waiting for %s; they are not shown one by one. Call check to read them.", n, name),
			"meta":    map[string]string{"from": "ipc", "to": name, "subject": fmt.Sprintf("%d unread messages waiting", n)},
		},
	}
}

// sessionList returns the sessions known now, to act on without the lock.
func (s *Server) sessionList() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		list = append(list, ss)
	}
	return list
}
