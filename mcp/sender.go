package mcp

// The send loop: one goroutine per registered session pushes its queue,
// waiting until the client can take it.

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/claude-ipc/ipc/internal/mcpserver"
)

// Backoff bounds for a push the transport refused because the client lags.
const (
	minBackoff = time.Millisecond
	maxBackoff = 100 * time.Millisecond
)

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
			err = s.mcp.Notify(ss.id, ChannelMethod, it.params)
		} else {
			err = s.mcp.Notify(ss.id, "notifications/resources/updated", map[string]any{"uri": uri})
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
					s.marks.add(it.to, it.id)
				}
			}
		case errors.Is(err, mcpserver.ErrNoStream), errors.Is(err, mcpserver.ErrNotInitialized):
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
// how much instead, so a full mailbox does not flood the model, and what
// the notice counted is had (up to Options.PushedIDs of it): a later
// catch-up, after a rescan say, neither pushes nor counts it again. It
// reads at most Backlog+1 messages, whatever the mailbox holds, and
// returns how many unread messages there are.
func (s *Server) catchUp(ss *session, id *identity) int {
	if id == nil {
		return 0
	}
	unread, unknown, ids := s.backlog(ss, id)
	// Ahead of what is queued: arrivals offered since the session joined
	// the hub are newer than what was waiting.
	if unknown > s.opts.Backlog {
		ss.enqueueFront([]*pushItem{backlogNotice(id.name, unknown, unread, s.sp.Now())})
		ss.had(ids)
		return unread
	}
	if unknown == 0 {
		return unread
	}
	fresh, _, err := id.mb.Oldest(s.opts.Backlog+1, ss.knows)
	if err != nil { // quarantined, or unreadable: the rest still counts
		s.log.Debug("mail not pushed", "name", id.name, "err", err)
	}
	items := make([]*pushItem, len(fresh))
	for i, m := range fresh {
		items[i] = messageItem(id.name, m)
	}
	ss.enqueueFront(items)
	return unread
}

// backlog counts, in one listing that reads no message, id's unread mail
// and how much of it ss has not had, with the ids of that part (nil when
// there are more than Options.PushedIDs of them).
func (s *Server) backlog(ss *session, id *identity) (unread, unknown int, ids []string) {
	over := false
	_, unknown, err := id.mb.Oldest(0, func(mid string) bool {
		unread++
		if ss.knows(mid) {
			return true
		}
		if over = over || len(ids) == s.opts.PushedIDs; !over {
			ids = append(ids, mid)
		}
		return false
	})
	if err != nil {
		s.log.Debug("count unread", "name", id.name, "err", err)
	}
	if over {
		ids = nil
	}
	return unread, unknown, ids
}

// awaitQuiet holds pushes to an HTTP session until it has a GET stream
// open: only that stream carries notifications (a POST's answer is the
// answer alone). It reports false if the session or the server ended
// first.
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
