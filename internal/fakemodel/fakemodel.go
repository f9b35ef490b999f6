// Package fakemodel is a language model that tests script: an HTTP server
// on loopback that speaks the Anthropic Messages API (streaming SSE and
// plain JSON) and the Gemini generateContent API, so that the real Claude
// Code and Gemini CLI clients can be driven without a network or a key.
//
// Every request is recorded, decoded into one shape for both APIs, and
// answered by the test's Script: with text, or with a call of one of the
// tools the client offered. Tests read the record to prove what reached
// the model (a tool's result, a hook's context, a wake).
//
// It is for tests only; nothing in the ipc command uses it.
package fakemodel

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is one model request as the fake decoded it.
type Request struct {
	API      string    // "anthropic" or "gemini"
	Path     string    // the URL path
	Model    string    // the model the client asked for
	Stream   bool      // an SSE answer was asked for
	System   string    // the system prompt, its text parts joined
	Tools    []string  // the names of the tools offered
	Messages []Message // the conversation, oldest first
	At       time.Time // when it arrived
	Raw      []byte    // the body as sent
}

// Message is one turn of a conversation.
type Message struct {
	Role        string       // "user" or "assistant" ("model" for Gemini is "assistant")
	Text        string       // the text parts joined by newlines
	ToolCalls   []ToolCall   // calls the assistant made
	ToolResults []ToolResult // results the client sent back
}

// ToolCall is a call of a tool by the model.
type ToolCall struct {
	ID    string
	Name  string
	Input map[string]any
}

// ToolResult is what a client sent back for a call.
type ToolResult struct {
	ID   string
	Name string // Gemini names the function; Anthropic gives only the id
	Text string // the result's text, parts joined
}

// Reply is the model's answer: a tool call when Tool is set, else Text.
type Reply struct {
	Text string
	Tool *ToolCall
}

// Script answers a request. It runs on the server's goroutines, one
// request at a time.
type Script func(*Request) Reply

// HasTool reports whether a tool named name was offered, by that name or
// as an MCP tool: mcp__SERVER__name (Claude Code) or mcp_SERVER_name
// (Gemini CLI, for a server name without '_').
func (r *Request) HasTool(name string) bool { return r.ToolName(name) != "" }

// ToolName returns the full name of the offered tool matching name (see
// HasTool), or "".
func (r *Request) ToolName(name string) string {
	for _, t := range r.Tools {
		if t == name || mcpName(t) == name {
			return t
		}
	}
	return ""
}

// mcpName returns the tool's own name of an MCP tool's full name.
func mcpName(full string) string {
	if rest, ok := strings.CutPrefix(full, "mcp__"); ok {
		if _, tool, ok := strings.Cut(rest, "__"); ok {
			return tool
		}
	}
	if rest, ok := strings.CutPrefix(full, "mcp_"); ok {
		if _, tool, ok := strings.Cut(rest, "_"); ok {
			return tool
		}
	}
	return ""
}

// Last returns the newest message, or the zero Message.
func (r *Request) Last() Message {
	if len(r.Messages) == 0 {
		return Message{}
	}
	return r.Messages[len(r.Messages)-1]
}

// Text returns every message's text and tool results, in order, for
// searching what the model was given.
func (r *Request) Text() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Text)
		b.WriteByte('\n')
		for _, tr := range m.ToolResults {
			b.WriteString(tr.Text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Server is a running fake model.
type Server struct {
	URL string // http://127.0.0.1:PORT

	script Script
	srv    *http.Server
	ln     net.Listener

	mu       sync.Mutex
	requests []*Request
	seen     chan struct{} // closed and replaced on every request
	ids      int
}

// Start listens on a loopback port and answers with script.
func Start(script Script) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakemodel: listen: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), script: script, ln: ln, seen: make(chan struct{})}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Requests returns the model requests received so far, oldest first.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// WaitFor returns the first request at or after index from that satisfies
// match, waiting up to limit; ok is false on timeout. index is its place
// in Requests.
func (s *Server) WaitFor(from int, limit time.Duration, match func(*Request) bool) (req *Request, index int, ok bool) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i := from; i < len(s.requests); i++ {
			if match(s.requests[i]) {
				r := s.requests[i]
				s.mu.Unlock()
				return r, i, true
			}
		}
		from = len(s.requests)
		seen := s.seen
		s.mu.Unlock()
		select {
		case <-seen:
		case <-deadline.C:
			return nil, 0, false
		}
	}
}

// record keeps r and answers it with the script, one request at a time.
func (s *Server) record(r *Request) (Reply, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	close(s.seen)
	s.seen = make(chan struct{})
	reply := s.script(r)
	s.ids++
	if reply.Tool != nil && reply.Tool.ID == "" {
		reply.Tool.ID = fmt.Sprintf("toolu_%04d", s.ids)
	}
	return reply, fmt.Sprintf("msg_%04d", s.ids)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v1/messages/count_tokens"):
		writeJSON(w, map[string]any{"input_tokens": 100})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v1/messages"):
		s.anthropic(w, r)
	case r.Method == http.MethodPost && strings.Contains(r.URL.Path, ":countTokens"):
		writeJSON(w, map[string]any{"totalTokens": 100})
	case r.Method == http.MethodPost && (strings.Contains(r.URL.Path, ":generateContent") || strings.Contains(r.URL.Path, ":streamGenerateContent")):
		s.gemini(w, r)
	default:
		// Telemetry, feature flags, model lists: nothing the tests need.
		writeJSON(w, map[string]any{})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sse writes one server-sent event and flushes it.
func sse(w http.ResponseWriter, event string, data any) {
	b, _ := json.Marshal(data)
	if event != "" {
		fmt.Fprintf(w, "event: %s\n", event)
	}
	fmt.Fprintf(w, "data: %s\n\n", b)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
