package mcp

// Arrivals: what the server does with mail its feed reports.

import (
	"path/filepath"

	"github.com/claude-ipc/ipc/follow"
)

// arrived handles mail that became unread in a followed mailbox: the
// agent's own is pushed to the ready sessions and wakes its waits;
// subscribers of that inbox are told. What a rescan found is not news one
// by one (rescanned).
func (s *Server) arrived(ev follow.Event) {
	if cur := s.agent.who(); cur != nil && cur.name == ev.Name {
		switch {
		case ev.Rescan == 0:
			s.agent.signal()
			s.push(cur, ev)
		case ev.Rescan != s.rescan:
			s.rescan = ev.Rescan
			s.agent.signal()
			s.rescanned(cur)
		}
		s.touched(statusURI)
	}
	s.touched(inboxURI(ev.Name))
}

// rescanned has every ready session catch up on the agent's mailbox once
// per rescan (a kernel queue overflow, say), as a session that becomes
// ready does: the mail the rescan found was either had already (pushed,
// queued or counted by a notice: nothing again), or its arrival was lost
// with the overflow (pushed now, or summed up in one notice when more
// than Options.Backlog of it waits). The rescan's own reports are not
// pushed: catch-up lists the mailbox after the rescan began, so it finds
// all they would carry.
func (s *Server) rescanned(cur *identity) {
	for _, ss := range s.hub.sessions() {
		s.catchUp(ss, cur)
	}
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
