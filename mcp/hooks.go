package mcp

import (
	"context"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcpserver"
)

// hooks follow the sessions: their registration (a sender starts), their
// readiness (notifications/initialized, or a request after initialize
// other than ping, which a client may send at any time),
// the tool answers that carry claimed mail, their subscriptions, and their
// end.
func (s *Server) hooks() mcpserver.Hooks {
	return mcpserver.Hooks{
		Register: func(cs *mcpserver.Session) {
			ss := s.session(cs.ID())
			ss.mu.Lock()
			ss.cs = cs
			ss.mu.Unlock()
			s.serveSession(ss)
		},
		Unregister: func(cs *mcpserver.Session) { s.endSession(cs.ID()) },
		Request: func(ctx context.Context, method string) {
			if method != string(mcpgo.MethodInitialize) && method != string(mcpgo.MethodPing) {
				s.readyFrom(ctx)
			}
		},
		Initialized: s.readyFrom,
		Answered: func(_ context.Context, id mcpgo.RequestId, res *mcpgo.CallToolResult) {
			s.handing.answered(id, res)
		},
		Subscribe: s.subscribe,
	}
}

// readyFrom marks the session of ctx ready. Sending still checks that the
// session initialized, so a client that skips initialize gets nothing.
func (s *Server) readyFrom(ctx context.Context) {
	if cs := mcpserver.SessionFrom(ctx); cs != nil {
		s.session(cs.ID()).markReady()
	}
}

// endSession forgets a session that ended: its sender stops, handing what
// it had not pushed to another session, and its subscriptions go.
func (s *Server) endSession(id string) {
	ss := s.sessions.remove(id)
	if ss == nil {
		return
	}
	ss.mu.Lock()
	var subs []string
	for uri := range ss.subs {
		subs = append(subs, uri)
	}
	ss.subs = map[string]bool{}
	serving := ss.serving
	ss.mu.Unlock()
	for _, uri := range subs {
		s.unwatchInbox(uri)
	}
	ss.close()
	if !serving {
		s.hub.leave(ss)
	}
}

// startSessions starts the senders of sessions registered before Start.
func (s *Server) startSessions() {
	for _, ss := range s.sessionList() {
		s.serveSession(ss)
	}
}
