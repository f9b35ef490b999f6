package mcp

import (
	"context"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// hooks follow the sessions: their registration (a sender starts), their
// readiness (notifications/initialized, or any request after initialize),
// their subscriptions, and their end.
func (s *Server) hooks() *server.Hooks {
	h := &server.Hooks{}
	h.AddOnRegisterSession(func(_ context.Context, cs server.ClientSession) {
		ss := s.session(cs.SessionID())
		ss.mu.Lock()
		ss.cs = cs
		ss.mu.Unlock()
		s.serveSession(ss)
	})
	h.AddOnUnregisterSession(func(_ context.Context, cs server.ClientSession) {
		s.endSession(cs.SessionID())
	})
	h.AddBeforeAny(func(ctx context.Context, _ any, method mcpgo.MCPMethod, _ any) {
		if method != mcpgo.MethodInitialize {
			s.readyFrom(ctx)
		}
	})
	h.AddOnSuccess(func(_ context.Context, id any, method mcpgo.MCPMethod, _ any, result any) {
		if method == mcpgo.MethodToolsCall {
			s.handing.answered(id, result)
		}
	})
	h.AddBeforeReadResource(func(_ context.Context, _ any, req *mcpgo.ReadResourceRequest) { notFound(req) })
	h.AddAfterSubscribe(func(ctx context.Context, _ any, req *mcpgo.SubscribeRequest, _ *mcpgo.EmptyResult) {
		s.subscribe(ctx, req.Params.URI, true)
	})
	h.AddAfterUnsubscribe(func(ctx context.Context, _ any, req *mcpgo.UnsubscribeRequest, _ *mcpgo.EmptyResult) {
		s.subscribe(ctx, req.Params.URI, false)
	})
	return h
}

// onInitialized handles notifications/initialized: the client is ready
// for notifications.
func (s *Server) onInitialized(ctx context.Context, _ mcpgo.JSONRPCNotification) { s.readyFrom(ctx) }

// readyFrom marks the session of ctx ready. Sending still checks that mcp-go
// saw the session initialize, so a client that skips initialize gets nothing.
func (s *Server) readyFrom(ctx context.Context) {
	if cs := server.ClientSessionFromContext(ctx); cs != nil {
		s.session(cs.SessionID()).markReady()
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
