package mcpserver

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// Session is one client's conversation with the server: a stdio stream,
// or an HTTP session (Mcp-Session-Id).
type Session struct {
	id string
	// deliver writes one notification to the client and reports how it
	// went; the transport sets it.
	deliver func([]byte) error

	mu          sync.Mutex
	initialized bool
	version     string
	level       mcpgo.LoggingLevel
	running     map[string]context.CancelFunc // requests being served, by id
	ended       bool
	done        chan struct{} // closed when the session ends

	// HTTP only: the open GET streams, and when a request was last seen.
	streams  []*stream
	lastSeen time.Time
}

func newSession(id string) *Session {
	return &Session{id: id, running: map[string]context.CancelFunc{}, done: make(chan struct{}), lastSeen: time.Now()}
}

// ID returns the session's id: "stdio-N" for a stdio stream, the
// Mcp-Session-Id over HTTP.
func (ss *Session) ID() string { return ss.id }

// Initialized reports whether the client's initialize was accepted. Its
// answer may not be written yet: a notification sent at once can reach
// the client before it, so a caller that must not be early waits for the
// client's notifications/initialized (Hooks.Initialized), as mcp does.
func (ss *Session) Initialized() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.initialized
}

// ProtocolVersion returns the version initialize settled on, "" before.
func (ss *Session) ProtocolVersion() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.version
}

// Done is closed when the session has ended.
func (ss *Session) Done() <-chan struct{} { return ss.done }

func (ss *Session) initialize(version string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.initialized, ss.version = true, version
}

func (ss *Session) setLevel(l mcpgo.LoggingLevel) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.level = l
}

// end marks the session ended; it reports whether it was the first to.
func (ss *Session) end() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.ended {
		return false
	}
	ss.ended = true
	close(ss.done)
	for _, cancel := range ss.running {
		cancel()
	}
	return true
}

// track makes the context of request id, cancelled by
// notifications/cancelled naming it or by the session's end; done
// releases it.
func (ss *Session) track(ctx context.Context, id json.RawMessage) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	key := string(id)
	ss.mu.Lock()
	if ss.ended {
		cancel()
	} else {
		ss.running[key] = cancel
	}
	ss.mu.Unlock()
	return ctx, func() {
		ss.mu.Lock()
		delete(ss.running, key)
		ss.mu.Unlock()
		cancel()
	}
}

// cancel cancels the request id, if it is running.
func (ss *Session) cancel(id json.RawMessage) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if c, ok := ss.running[string(id)]; ok {
		c()
	}
}

type sessionKey struct{}

func withSession(ctx context.Context, ss *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, ss)
}

// SessionFrom returns the session a request or notification came in,
// nil outside of one.
func SessionFrom(ctx context.Context) *Session {
	ss, _ := ctx.Value(sessionKey{}).(*Session)
	return ss
}
