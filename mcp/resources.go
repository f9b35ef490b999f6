package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcpserver"
	"github.com/claude-ipc/ipc/spool"
)

// The resources: the status of the spool and this agent, and any name's
// inbox (a peek: reading it marks nothing read).
const (
	statusURI     = "ipc://status"
	inboxTemplate = "ipc://inbox/{name}"
	inboxPrefix   = "ipc://inbox/"
	maxPeek       = 100 // messages an inbox resource shows, oldest first
)

func inboxURI(name string) string { return inboxPrefix + name }

// inboxName returns the name in an inbox URI.
func inboxName(uri string) (string, bool) {
	name, ok := strings.CutPrefix(uri, inboxPrefix)
	return name, ok && spool.ValidName(name) == nil
}

func (s *Server) addResources() {
	s.mcp.AddResource(mcpgo.NewResource(statusURI, "status",
		mcpgo.WithResourceTitle("ipc status"),
		mcpgo.WithResourceDescription("The spool, this agent's name and unread count, the leader, push counters, and every known name with its online state and last activity. Subscribe to hear when this agent's mail changes."),
		mcpgo.WithMIMEType("application/json"),
	), s.readStatus)
	s.mcp.AddResourceTemplate(mcpgo.NewResourceTemplate(inboxTemplate, "inbox",
		mcpgo.WithTemplateTitle("ipc inbox"),
		mcpgo.WithTemplateDescription("The unread messages of a name, oldest first (at most 100), without marking them read. Subscribe to get notifications/resources/updated when new mail lands."),
		mcpgo.WithTemplateMIMEType("application/json"),
	), s.readInbox)
}

// status is the content of ipc://status.
type status struct {
	Spool       string           `json:"spool"`
	Name        string           `json:"name,omitempty"` // "" before register
	Unread      int              `json:"unread"`
	Leader      *spool.Holder    `json:"leader,omitempty"`
	Pushed      uint64           `json:"pushed"`       // channel events accepted by sessions
	PushWaiting int              `json:"push_waiting"` // queued for the ready sessions, not yet pushed
	PushRetries uint64           `json:"push_retries"` // sends refused because a client lagged, then retried
	Sessions    int              `json:"sessions"`
	Polling     bool             `json:"polling"` // the watcher polls instead of using the system's notifications
	Watcher     string           `json:"watcher"` // how mail is noticed: inotify, ReadDirectoryChangesW, kqueue, kqueue-directory or poll
	Names       []spool.NameInfo `json:"names"`
}

func (s *Server) readStatus(context.Context, mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
	st := status{Spool: s.sp.Root}
	if cur := s.agent.who(); cur != nil {
		st.Name = cur.name
		st.Unread, _ = cur.mb.Unread()
	}
	if li, ok := s.sp.Leader(); ok {
		st.Leader = &li
	}
	st.Pushed, st.PushWaiting, st.PushRetries = s.hub.stats()
	st.Sessions = s.sessions.count()
	if f := s.follower(); f != nil {
		st.Polling, st.Watcher = f.Polling(), f.Mode().String()
	}
	names, err := s.sp.List() // a mailbox that could not be read is listed with its error
	if err != nil && names == nil {
		return nil, fmt.Errorf("read %s: %w", statusURI, err)
	}
	st.Names = names
	return jsonContents(statusURI, st)
}

// inbox is the content of ipc://inbox/NAME: its messages as the tools
// give them (mailView), so a model reading the resource learns what check
// would tell it.
type inbox struct {
	Name      string     `json:"name"`
	Unread    int        `json:"unread"`
	Truncated bool       `json:"truncated,omitempty"` // more than shown
	Messages  []mailView `json:"messages"`
}

func (s *Server) readInbox(_ context.Context, req mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
	uri := req.Params.URI
	name, ok := inboxName(uri)
	if !ok { // an inbox that cannot exist: its name is not a valid name, like ipc://inbox/..
		return nil, fmt.Errorf("%w: %s (not a valid name: use 1 to 32 letters, digits, '-' or '_')", mcpserver.ErrResourceNotFound, uri)
	}
	mb, err := s.sp.Mailbox(name)
	if err != nil {
		return nil, err
	}
	in, err := s.peek(mb, maxPeek)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", uri, err)
	}
	return jsonContents(uri, in)
}

// peek reads up to max unread messages of mb, oldest first, claiming
// nothing and recording no activity for the name.
func (s *Server) peek(mb *spool.Mailbox, max int) (inbox, error) {
	in := inbox{Name: mb.Name, Messages: []mailView{}}
	msgs, n, err := mb.Oldest(max, nil)
	var q *spool.QuarantineError
	if err != nil && !errors.As(err, &q) { // a file moved aside is simply not shown
		return in, err
	}
	in.Unread, in.Truncated = n, n > len(msgs)
	in.Messages = viewsOf(msgs, s.sp.Now())
	return in, nil
}

func jsonContents(uri string, v any) ([]mcpgo.ResourceContents, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return []mcpgo.ResourceContents{mcpgo.TextResourceContents{URI: uri, MIMEType: "application/json", Text: string(b)}}, nil
}

// subscribe records (or drops) a session's subscription to uri; an inbox
// subscription watches that inbox.
func (s *Server) subscribe(ctx context.Context, uri string, on bool) {
	cs := mcpserver.SessionFrom(ctx)
	if cs == nil {
		return
	}
	ss := s.session(cs.ID())
	ss.mu.Lock()
	was := ss.subs[uri]
	if on {
		ss.subs[uri] = true
	} else {
		delete(ss.subs, uri)
	}
	ss.mu.Unlock()
	switch {
	case on && !was:
		s.watchInbox(uri)
	case !on && was:
		s.unwatchInbox(uri)
	}
}

func (s *Server) watchInbox(uri string) {
	if name, ok := inboxName(uri); ok {
		s.watch(name)
	}
}

func (s *Server) unwatchInbox(uri string) {
	if name, ok := inboxName(uri); ok {
		s.unwatch(name)
	}
}
