package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// ToolHandler answers a tools/call. A Go error it returns is answered as
// a JSON-RPC internal error; a failure the model should read belongs in
// the result (IsError).
type ToolHandler func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error)

// ResourceHandler answers a resources/read. An error matching
// ErrResourceNotFound is answered as "resource not found" (-32002), any
// other as an internal error.
type ResourceHandler func(ctx context.Context, req mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error)

// Tool is a tool and the handler of its calls.
type Tool struct {
	Tool    mcpgo.Tool
	Handler ToolHandler
}

// Hooks follow sessions and requests. Each may be nil. They run on the
// goroutine that serves the message, so they must not block.
type Hooks struct {
	// Register runs when a session starts (stdio: when it is served;
	// HTTP: once its initialize is answered), Unregister once when it ends.
	Register, Unregister func(*Session)
	// Request runs before every request is handled (initialize too),
	// with the request's method.
	Request func(ctx context.Context, method string)
	// Initialized runs for notifications/initialized.
	Initialized func(ctx context.Context)
	// Answered runs for a tools/call answered with a result, before the
	// answer is written; id is the request's.
	Answered func(ctx context.Context, id mcpgo.RequestId, result *mcpgo.CallToolResult)
	// Subscribe runs once a resources/subscribe (on) or
	// resources/unsubscribe (!on) of uri is accepted.
	Subscribe func(ctx context.Context, uri string, on bool)
}

// Options configure a Server.
type Options struct {
	Name, Version string         // serverInfo
	Instructions  string         // sent in the initialize result
	Experimental  map[string]any // capabilities.experimental
	Hooks         Hooks
	Logger        *slog.Logger // transport errors; nil discards them
	// MaxMessage is the largest JSON-RPC message read, in bytes; a longer
	// one is refused with an error. 0: DefaultMaxMessage.
	MaxMessage int64
}

// DefaultMaxMessage is the largest message read when Options.MaxMessage
// is 0.
const DefaultMaxMessage = 8 << 20

// Errors Notify returns. ErrNotInitialized and ErrNoStream are passing:
// try again later. ErrNoSession means the session has ended.
var (
	ErrNoSession      = errors.New("mcpserver: no such session")
	ErrNotInitialized = errors.New("mcpserver: session not initialized")
	ErrNoStream       = errors.New("mcpserver: the session has no stream open to take notifications")
)

// ErrResourceNotFound is what a ResourceHandler returns for a URI it
// does not have.
var ErrResourceNotFound = errors.New("resource not found")

// Server is an MCP server: its tools and resources, and the sessions
// served by its transports. Make one with New.
type Server struct {
	opts Options
	log  *slog.Logger

	mu        sync.RWMutex
	tools     map[string]Tool
	toolNames []string // sorted, as tools/list gives them
	resources []resource
	templates []template

	sessions sync.Map // id → *Session
	http     httpSessions
}

type resource struct {
	res     mcpgo.Resource
	handler ResourceHandler
}

type template struct {
	tmpl    mcpgo.ResourceTemplate
	handler ResourceHandler
}

// New returns a server with no tools and no resources.
func New(opts Options) *Server {
	if opts.MaxMessage <= 0 {
		opts.MaxMessage = DefaultMaxMessage
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: log, tools: map[string]Tool{}}
}

// AddTools adds tools, replacing any of the same name.
func (s *Server) AddTools(tools ...Tool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tools {
		if _, ok := s.tools[t.Tool.Name]; !ok {
			s.toolNames = append(s.toolNames, t.Tool.Name)
		}
		s.tools[t.Tool.Name] = t
	}
	slices.Sort(s.toolNames)
}

// AddResource adds a resource at a fixed URI.
func (s *Server) AddResource(r mcpgo.Resource, h ResourceHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resources = append(s.resources, resource{r, h})
}

// AddResourceTemplate adds resources whose URIs match a template.
func (s *Server) AddResourceTemplate(t mcpgo.ResourceTemplate, h ResourceHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates = append(s.templates, template{t, h})
}

// Notify sends the notification method with params to session id, and
// returns once it was written.
func (s *Server) Notify(id, method string, params any) error {
	v, ok := s.sessions.Load(id)
	if !ok {
		return ErrNoSession
	}
	ss := v.(*Session)
	if !ss.Initialized() {
		return ErrNotInitialized
	}
	b, err := json.Marshal(notification{JSONRPC: "2.0", Method: method, Params: params})
	if err != nil {
		return fmt.Errorf("mcpserver: notification %s: %w", method, err)
	}
	return ss.deliver(b)
}

// register files ss and runs the hook.
func (s *Server) register(ss *Session) {
	s.sessions.Store(ss.id, ss)
	if h := s.opts.Hooks.Register; h != nil {
		h(ss)
	}
}

// unregister forgets ss and runs the hook, once.
func (s *Server) unregister(ss *Session) {
	if !ss.end() {
		return
	}
	s.sessions.CompareAndDelete(ss.id, ss)
	if h := s.opts.Hooks.Unregister; h != nil {
		h(ss)
	}
}

// The JSON-RPC envelopes.
type (
	// incoming is any message a client sends. Params is a slice of the
	// message it was read from (see field), not a copy.
	incoming struct {
		envelope
		Params json.RawMessage
	}
	// envelope is what json.Unmarshal decodes of a message: all but its
	// params, which it checks but skips.
	envelope struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id,omitempty"`
		Method  string          `json:"method,omitempty"`
		Result  json.RawMessage `json:"result,omitempty"`
		Error   json.RawMessage `json:"error,omitempty"`
	}
	response struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  any             `json:"result,omitempty"`
		Error   *rpcError       `json:"error,omitempty"`
	}
	notification struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params,omitempty"`
	}
	rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
)

// isRequest reports whether m asks for an answer: it has a method and an
// id that is not null.
func (m *incoming) isRequest() bool {
	return m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null"
}

// errorResponse is the JSON of a JSON-RPC error answering id (null when
// the id could not be read).
func errorResponse(id json.RawMessage, code int, msg string) []byte {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	b, _ := json.Marshal(response{JSONRPC: "2.0", ID: id, Error: &rpcError{Code: code, Message: msg}})
	return b
}

// parse decodes one message. A message that is not JSON, or not a
// JSON-RPC 2.0 object, gets the error response to send back.
func parse(b []byte) (*incoming, []byte) {
	var m incoming
	if err := json.Unmarshal(b, &m.envelope); err != nil {
		if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "[") {
			return nil, errorResponse(nil, mcpgo.INVALID_REQUEST, "batches are not supported: send one JSON-RPC message at a time")
		}
		return nil, errorResponse(nil, mcpgo.PARSE_ERROR, "parse error: "+err.Error())
	}
	if m.JSONRPC != "2.0" {
		return nil, errorResponse(m.ID, mcpgo.INVALID_REQUEST, `invalid request: "jsonrpc" must be "2.0"`)
	}
	m.Params = field(b, "params")
	if string(m.Params) == "null" {
		m.Params = nil // as json.Unmarshal leaves a RawMessage for null
	}
	return &m, nil
}

// handle serves one parsed message of ss: the response to write for a
// request, nil for a notification or a response.
func (s *Server) handle(ctx context.Context, ss *Session, m *incoming) []byte {
	ctx = withSession(ctx, ss)
	if !m.isRequest() {
		if m.Method != "" {
			s.notified(ctx, ss, m)
		}
		return nil // a response (to a ping of ours), or a notification
	}
	if h := s.opts.Hooks.Request; h != nil {
		h(ctx, m.Method)
	}
	ctx, done := ss.track(ctx, m.ID)
	defer done()
	result, rerr := s.call(ctx, ss, m)
	if rerr != nil {
		return errorResponse(m.ID, rerr.Code, rerr.Message)
	}
	b, err := json.Marshal(response{JSONRPC: "2.0", ID: m.ID, Result: result})
	if err != nil {
		return errorResponse(m.ID, mcpgo.INTERNAL_ERROR, "encode the result: "+err.Error())
	}
	return b
}

// notified handles a notification from the client.
func (s *Server) notified(ctx context.Context, ss *Session, m *incoming) {
	switch m.Method {
	case string(mcpgo.MethodNotificationInitialized):
		if h := s.opts.Hooks.Initialized; h != nil {
			h(ctx)
		}
	case "notifications/cancelled":
		var p struct {
			RequestID json.RawMessage `json:"requestId"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			ss.cancel(p.RequestID)
		}
	}
}

// call runs the method of request m, recovering a handler's panic.
func (s *Server) call(ctx context.Context, ss *Session, m *incoming) (result any, rerr *rpcError) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving a request", "method", m.Method, "panic", p)
			result, rerr = nil, &rpcError{mcpgo.INTERNAL_ERROR, fmt.Sprintf("internal error: panic in %s: %v", m.Method, p)}
		}
	}()
	switch m.Method {
	case string(mcpgo.MethodInitialize):
		return s.initialize(ss, m.Params)
	case string(mcpgo.MethodPing):
		return json.RawMessage("{}"), nil
	case string(mcpgo.MethodToolsList):
		return s.listTools(), nil
	case string(mcpgo.MethodToolsCall):
		return s.callTool(ctx, m)
	case string(mcpgo.MethodResourcesList):
		return s.listResources(), nil
	case string(mcpgo.MethodResourcesTemplatesList):
		return s.listTemplates(), nil
	case string(mcpgo.MethodResourcesRead):
		return s.readResource(ctx, m.Params)
	case string(mcpgo.MethodResourcesSubscribe), string(mcpgo.MethodResourcesUnsubscribe):
		return s.subscribe(ctx, m)
	case string(mcpgo.MethodSetLogLevel):
		return s.setLevel(ss, m.Params)
	}
	return nil, &rpcError{mcpgo.METHOD_NOT_FOUND, fmt.Sprintf("method not found: %s", m.Method)}
}

// decode decodes params into v; a failure is invalid params.
func decode(params json.RawMessage, v any) *rpcError {
	if len(params) == 0 || string(params) == "null" {
		params = json.RawMessage("{}")
	}
	if err := json.Unmarshal(params, v); err != nil {
		return &rpcError{mcpgo.INVALID_PARAMS, "invalid params: " + err.Error()}
	}
	return nil
}

func (s *Server) initialize(ss *Session, params json.RawMessage) (any, *rpcError) {
	var p struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := decode(params, &p); err != nil {
		return nil, err
	}
	version := mcpgo.NegotiateLegacyVersion(p.ProtocolVersion)
	ss.initialize(version)
	caps := mcpgo.ServerCapabilities{Experimental: s.opts.Experimental, Logging: &struct{}{}}
	caps.Tools = &struct {
		ListChanged bool `json:"listChanged,omitempty"`
	}{}
	caps.Resources = &struct {
		Subscribe   bool `json:"subscribe,omitempty"`
		ListChanged bool `json:"listChanged,omitempty"`
	}{Subscribe: true}
	return mcpgo.InitializeResult{
		ProtocolVersion: version,
		Capabilities:    caps,
		ServerInfo:      mcpgo.Implementation{Name: s.opts.Name, Version: s.opts.Version},
		Instructions:    s.opts.Instructions,
	}, nil
}

func (s *Server) listTools() any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tools := make([]mcpgo.Tool, 0, len(s.toolNames))
	for _, n := range s.toolNames {
		tools = append(tools, s.tools[n].Tool)
	}
	return struct {
		Tools []mcpgo.Tool `json:"tools"`
	}{tools}
}

func (s *Server) callTool(ctx context.Context, m *incoming) (any, *rpcError) {
	req, rerr := toolRequest(m)
	if rerr != nil {
		return nil, rerr
	}
	s.mu.RLock()
	t, ok := s.tools[req.Params.Name]
	s.mu.RUnlock()
	if !ok {
		return nil, &rpcError{mcpgo.INVALID_PARAMS, fmt.Sprintf("tool %q not found", req.Params.Name)}
	}
	res, err := t.Handler(ctx, req)
	if err != nil {
		return nil, &rpcError{mcpgo.INTERNAL_ERROR, err.Error()}
	}
	if res == nil {
		return nil, &rpcError{mcpgo.INTERNAL_ERROR, fmt.Sprintf("tool %s returned no result", req.Params.Name)}
	}
	if h := s.opts.Hooks.Answered; h != nil {
		var id mcpgo.RequestId
		_ = json.Unmarshal(m.ID, &id)
		h(ctx, id, res)
	}
	return res, nil
}

// toolRequest decodes the params of a tools/call as mcp-go's
// CallToolParams.UnmarshalJSON does, but keeps RawArguments as a slice of
// the message rather than a copy (that method makes two), so that a large
// argument is held once as sent and once decoded (in Arguments).
func toolRequest(m *incoming) (mcpgo.CallToolRequest, *rpcError) {
	var req mcpgo.CallToolRequest
	req.Method = m.Method
	var params struct { // CallToolParams but its arguments
		Name string            `json:"name"`
		Meta *mcpgo.Meta       `json:"_meta,omitempty"`
		Task *mcpgo.TaskParams `json:"task,omitempty"`
		mcpgo.MultiRoundTripParams
	}
	rest, args := without(m.Params, "arguments") // not decoded twice
	if err := decode(rest, &params); err != nil {
		return req, err
	}
	p := &req.Params
	p.Name, p.Meta, p.Task, p.MultiRoundTripParams = params.Name, params.Meta, params.Task, params.MultiRoundTripParams
	if len(args) > 0 && string(args) != "null" {
		p.RawArguments = args
		if err := json.Unmarshal(args, &p.Arguments); err != nil {
			return req, &rpcError{mcpgo.INVALID_PARAMS, "invalid params: " + err.Error()}
		}
	}
	return req, nil
}

func (s *Server) listResources() any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]mcpgo.Resource, len(s.resources))
	for i, r := range s.resources {
		out[i] = r.res
	}
	return struct {
		Resources []mcpgo.Resource `json:"resources"`
	}{out}
}

func (s *Server) listTemplates() any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]mcpgo.ResourceTemplate, len(s.templates))
	for i, t := range s.templates {
		out[i] = t.tmpl
	}
	return struct {
		ResourceTemplates []mcpgo.ResourceTemplate `json:"resourceTemplates"`
	}{out}
}

// lookup returns the handler of uri: a resource's, else the first
// template's that matches.
func (s *Server) lookup(uri string) ResourceHandler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.resources {
		if r.res.URI == uri {
			return r.handler
		}
	}
	for _, t := range s.templates {
		if t.tmpl.URITemplate != nil && t.tmpl.URITemplate.Regexp().MatchString(uri) {
			return t.handler
		}
	}
	return nil
}

func (s *Server) readResource(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	var req mcpgo.ReadResourceRequest
	if err := decode(params, &req.Params); err != nil {
		return nil, err
	}
	req.Method = string(mcpgo.MethodResourcesRead)
	h := s.lookup(req.Params.URI)
	if h == nil {
		return nil, &rpcError{mcpgo.RESOURCE_NOT_FOUND, fmt.Sprintf("resource not found: %s", req.Params.URI)}
	}
	contents, err := h(ctx, req)
	switch {
	case errors.Is(err, ErrResourceNotFound):
		return nil, &rpcError{mcpgo.RESOURCE_NOT_FOUND, err.Error()}
	case err != nil:
		return nil, &rpcError{mcpgo.INTERNAL_ERROR, err.Error()}
	}
	return struct {
		Contents []mcpgo.ResourceContents `json:"contents"`
	}{contents}, nil
}

func (s *Server) subscribe(ctx context.Context, m *incoming) (any, *rpcError) {
	var p struct {
		URI string `json:"uri"`
	}
	if err := decode(m.Params, &p); err != nil {
		return nil, err
	}
	if p.URI == "" {
		return nil, &rpcError{mcpgo.INVALID_PARAMS, "invalid params: uri is required"}
	}
	if h := s.opts.Hooks.Subscribe; h != nil {
		h(ctx, p.URI, m.Method == string(mcpgo.MethodResourcesSubscribe))
	}
	return json.RawMessage("{}"), nil
}

// levels are the log levels of logging/setLevel.
var levels = []mcpgo.LoggingLevel{
	mcpgo.LoggingLevelDebug, mcpgo.LoggingLevelInfo, mcpgo.LoggingLevelNotice, mcpgo.LoggingLevelWarning,
	mcpgo.LoggingLevelError, mcpgo.LoggingLevelCritical, mcpgo.LoggingLevelAlert, mcpgo.LoggingLevelEmergency,
}

func (s *Server) setLevel(ss *Session, params json.RawMessage) (any, *rpcError) {
	var p struct {
		Level mcpgo.LoggingLevel `json:"level"`
	}
	if err := decode(params, &p); err != nil {
		return nil, err
	}
	if !slices.Contains(levels, p.Level) {
		return nil, &rpcError{mcpgo.INVALID_PARAMS, fmt.Sprintf("invalid params: unknown log level %q", p.Level)}
	}
	ss.setLevel(p.Level)
	return json.RawMessage("{}"), nil
}
