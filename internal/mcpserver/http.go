package mcpserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// HeaderSessionID is the header that carries an HTTP session's id.
const HeaderSessionID = "Mcp-Session-Id"

// HTTPOptions configure the streamable HTTP transport.
type HTTPOptions struct {
	// Heartbeat is how often an open GET stream carries a ping, so that
	// idle connections stay up; 0: never.
	Heartbeat time.Duration
	// IdleTTL ends a session that had no request and no stream open for
	// this long (checked when a session starts); 0: never.
	IdleTTL time.Duration
	// WriteTimeout bounds each write to a GET stream: a client that stops
	// reading loses the stream, not the server a goroutine; 0: 30 s.
	WriteTimeout time.Duration
}

// httpSessions are the sessions made over HTTP.
type httpSessions struct {
	mu   sync.Mutex
	byID map[string]*Session
	ping atomic.Int64 // ids of the heartbeat pings
}

func (h *httpSessions) get(id string) *Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byID[id]
}

func (h *httpSessions) add(ss *Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byID == nil {
		h.byID = map[string]*Session{}
	}
	h.byID[ss.id] = ss
}

func (h *httpSessions) remove(ss *Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byID[ss.id] == ss {
		delete(h.byID, ss.id)
	}
}

func (h *httpSessions) list() []*Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Session, 0, len(h.byID))
	for _, ss := range h.byID {
		out = append(out, ss)
	}
	return out
}

// HTTPHandler returns the streamable HTTP transport, to be mounted at the
// server's endpoint: POST carries the client's messages (initialize makes
// a session and answers its id in Mcp-Session-Id), GET opens a stream of
// server-sent events that carries the session's notifications, DELETE
// ends the session. It checks no Origin and no credentials: wrap it.
func (s *Server) HTTPHandler(o HTTPOptions) http.Handler {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			s.post(w, r, o)
		case http.MethodGet:
			s.get(w, r, o)
		case http.MethodDelete:
			s.delete(w, r)
		default:
			w.Header().Set("Allow", "GET, POST, DELETE")
			httpError(w, http.StatusMethodNotAllowed, "Method Not Allowed: use POST, GET or DELETE")
		}
	})
}

// CloseSessions ends every HTTP session: their streams close.
func (s *Server) CloseSessions() {
	for _, ss := range s.http.list() {
		s.endHTTP(ss)
	}
}

func (s *Server) endHTTP(ss *Session) {
	s.http.remove(ss)
	s.unregister(ss)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	http.Error(w, msg, code)
}

// writeJSON answers with one JSON-RPC message.
func writeJSON(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// badVersion refuses a request whose MCP-Protocol-Version header names a
// version this server cannot speak.
func badVersion(w http.ResponseWriter, r *http.Request) bool {
	v := r.Header.Get(mcpgo.HeaderProtocolVersion)
	if v == "" || slices.Contains(mcpgo.LegacyProtocolVersions(), v) {
		return false
	}
	httpError(w, http.StatusBadRequest, fmt.Sprintf("Bad Request: unsupported protocol version %q (supported: %s)", v, strings.Join(mcpgo.LegacyProtocolVersions(), ", ")))
	return true
}

// session finds the session a request names, answering 400 when it names
// none and 404 when it is unknown or ended.
func (s *Server) session(w http.ResponseWriter, r *http.Request) *Session {
	id := r.Header.Get(HeaderSessionID)
	if id == "" {
		httpError(w, http.StatusBadRequest, "Bad Request: the "+HeaderSessionID+" header is missing; initialize first")
		return nil
	}
	ss := s.http.get(id)
	if ss == nil {
		httpError(w, http.StatusNotFound, "Not Found: no session "+id+"; initialize a new one")
		return nil
	}
	ss.mu.Lock()
	ss.lastSeen = time.Now()
	ss.mu.Unlock()
	return ss
}

func (s *Server) post(w http.ResponseWriter, r *http.Request, o HTTPOptions) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		httpError(w, http.StatusBadRequest, "Bad Request: the content type must be application/json")
		return
	}
	// One byte past the limit tells a message that is too large; no more
	// of it is read.
	body, err := readAll(io.LimitReader(r.Body, s.opts.MaxMessage+1))
	if err != nil {
		code, msg := http.StatusBadRequest, "read the request: "+err.Error()
		if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
			code, msg = http.StatusRequestEntityTooLarge, "request too large: a message is at most "+size(mb.Limit)+" here"
		}
		writeJSON(w, code, errorResponse(nil, mcpgo.INVALID_REQUEST, msg))
		return
	}
	if int64(len(body)) > s.opts.MaxMessage {
		writeJSON(w, http.StatusRequestEntityTooLarge, tooLarge(body[:min(len(body), headKept)], s.opts.MaxMessage))
		return
	}
	m, bad := parse(body)
	if bad != nil {
		writeJSON(w, http.StatusBadRequest, bad)
		return
	}
	if m.Method == string(mcpgo.MethodInitialize) && m.isRequest() {
		s.initializeHTTP(w, r, m, o)
		return
	}
	if badVersion(w, r) {
		return
	}
	if m.Method == "" { // a response to one of our pings
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ss := s.session(w, r)
	if ss == nil {
		return
	}
	resp := s.handle(r.Context(), ss, m)
	if resp == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// initializeHTTP starts a session with the initialize request m.
func (s *Server) initializeHTTP(w http.ResponseWriter, r *http.Request, m *incoming, o HTTPOptions) {
	s.sweep(o.IdleTTL)
	ss := newSession(newSessionID())
	ss.deliver = func(b []byte) error { return ss.toStream(b) }
	resp := s.handle(r.Context(), ss, m)
	if !ss.Initialized() { // refused: no session
		writeJSON(w, http.StatusOK, resp)
		return
	}
	s.http.add(ss)
	s.register(ss)
	w.Header().Set(HeaderSessionID, ss.id)
	writeJSON(w, http.StatusOK, resp)
}

// sweep ends the sessions idle for longer than ttl.
func (s *Server) sweep(ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	cut := time.Now().Add(-ttl)
	for _, ss := range s.http.list() {
		ss.mu.Lock()
		idle := len(ss.streams) == 0 && len(ss.running) == 0 && ss.lastSeen.Before(cut)
		ss.mu.Unlock()
		if idle {
			s.endHTTP(ss)
		}
	}
}

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "mcp-session-" + hex.EncodeToString(b)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	if badVersion(w, r) {
		return
	}
	ss := s.session(w, r)
	if ss == nil {
		return
	}
	s.endHTTP(ss)
	w.WriteHeader(http.StatusOK)
}

// stream is one open GET stream of a session.
type stream struct {
	out  chan outgoing
	gone chan struct{} // closed when the GET ends
}

type outgoing struct {
	b    []byte
	done chan error // how the write went
}

// toStream writes b to one of the session's GET streams, waiting until
// it is written.
func (ss *Session) toStream(b []byte) error {
	ss.mu.Lock()
	var st *stream
	if len(ss.streams) > 0 {
		st = ss.streams[0]
	}
	ss.mu.Unlock()
	if st == nil {
		return ErrNoStream
	}
	o := outgoing{b: b, done: make(chan error, 1)}
	select {
	case st.out <- o:
	case <-st.gone:
		return ErrNoStream
	case <-ss.done:
		return ErrNoSession
	}
	select {
	case err := <-o.done:
		return streamErr(err)
	case <-st.gone:
		select {
		case err := <-o.done:
			return streamErr(err)
		default:
			return ErrNoStream
		}
	}
}

func streamErr(err error) error {
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoStream, err)
	}
	return nil
}

func (ss *Session) addStream(st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.streams = append(ss.streams, st)
}

func (ss *Session) removeStream(st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.streams = slices.DeleteFunc(ss.streams, func(x *stream) bool { return x == st })
	ss.lastSeen = time.Now()
}

// get serves a GET stream: the session's notifications as server-sent
// events, until the client goes or the session ends.
func (s *Server) get(w http.ResponseWriter, r *http.Request, o HTTPOptions) {
	if badVersion(w, r) {
		return
	}
	ss := s.session(w, r)
	if ss == nil {
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	st := &stream{out: make(chan outgoing), gone: make(chan struct{})}
	ss.addStream(st)
	defer close(st.gone)
	defer ss.removeStream(st)
	var beat <-chan time.Time
	if o.Heartbeat > 0 {
		t := time.NewTicker(o.Heartbeat)
		defer t.Stop()
		beat = t.C
	}
	send := func(b []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(o.WriteTimeout))
		if _, err := fmt.Fprintf(w, "event: message\ndata: %s\n\n", b); err != nil {
			return err
		}
		return rc.Flush()
	}
	for {
		select {
		case m := <-st.out:
			err := send(m.b)
			m.done <- err
			if err != nil {
				return
			}
		case <-beat:
			ping := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ping"}`, s.http.ping.Add(1))
			if send([]byte(ping)) != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-ss.done:
			return
		}
	}
}
