package mcp

// Arrivals: what the server does with mail its feed reports.

import (
	"path/filepath"

	"github.com/claude-ipc/ipc/follow"
)

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
