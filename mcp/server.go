package mcp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/internal/mcpserver"
	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// ServerName is the name the server reports in initialize. Claude Code
// shows channel events with source set to the name the server was added
// under (claude mcp add ipc ...), which by convention is this one.
const ServerName = "ipc"

// Channel is the experimental capability and notification method of Claude
// Code channels: a server declaring experimental["claude/channel"] may push
// notifications/claude/channel, which Claude Code shows to the model as
// <channel source="ipc" from="…" …>content</channel>.
const (
	ChannelCapability = "claude/channel"
	ChannelMethod     = "notifications/claude/channel"
)

// Defaults for Options.
const (
	defaultMaxWait    = 10 * time.Minute
	defaultReadyAfter = time.Second
	defaultBacklog    = 50
	defaultPushedIDs  = 1 << 15
)

// Options configure a Server. The zero value is fine.
type Options struct {
	Name           string        // register this name at start (--as, IPC_NAME); "" waits for the register tool
	Version        string        // reported in serverInfo; "" reads "dev"
	Logger         *slog.Logger  // status and errors; nil discards them. Never stdout.
	CommandTimeout time.Duration // share_command's time limit; 0: 30 s, as in the original tool
	MaxWait        time.Duration // the longest wait the wait tool allows; 0: 10 min
	Poll           bool          // watch mailboxes by polling instead of inotify (for a follower of its own)
	PollInterval   time.Duration // the polling interval; 0: the watcher's default (for a follower of its own)

	// Follower is the process's follower, shared with the leader that runs
	// beside the server (one watcher per process). nil: Start makes one of
	// its own from Poll and PollInterval, and Close stops it.
	Follower *follow.Follower

	// ReadyAfter is how long after initialize a session that never sends
	// notifications/initialized (nor any request but ping) is served anyway;
	// 0: 1 s.
	ReadyAfter time.Duration
	// Backlog is how many unread messages found at registration are pushed
	// one by one; when more wait, one notice says how many instead, so a
	// full mailbox does not flood the model. 0: 50.
	Backlog int
	// PushedIDs bounds the set of message ids each session remembers as
	// pushed or counted by a notice; 0: 32768.
	PushedIDs int
	// HTTPToken is the bearer token every HTTP request must carry
	// (Authorization: Bearer TOKEN); see HTTPToken. ServeHTTP refuses to
	// serve without one.
	HTTPToken string
}

func (o Options) withDefaults() Options {
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = share.DefaultTimeout
	}
	if o.MaxWait <= 0 {
		o.MaxWait = defaultMaxWait
	}
	if o.ReadyAfter <= 0 {
		o.ReadyAfter = defaultReadyAfter
	}
	if o.Backlog <= 0 {
		o.Backlog = defaultBacklog
	}
	if o.PushedIDs <= 0 {
		o.PushedIDs = defaultPushedIDs
	}
	return o
}

// Server is ipc's MCP server for one agent. Build it with New, Start it,
// serve it (ServeStdio, ServeHTTP or HTTPHandler), and Close it.
type Server struct {
	sp    *spool.Spool
	rules *rules.Rules // what reading and sending entail
	opts  Options
	log   *slog.Logger
	mcp   *mcpserver.Server
	hub   *hub

	agent   agent     // who this server is, and what it watches
	handing *handover // answers carrying claimed mail, until written
	marks   *marks    // pushed, not yet marked notified (marks.go)

	sessions *sessionTable // by MCP session id, with its own lock

	rescan uint64 // the last rescan the feed reported (follow.Event.Rescan); the loop's alone

	mu     sync.Mutex       // guards what follows
	fol    *follow.Follower // where the server learns of mail
	ownFol bool             // fol was made by Start, so Close stops it
	fd     *follow.Feed     // the mailboxes the server follows: its own name, subscribed inboxes
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the server over sp: its tools, resources, capabilities and
// hooks. Nothing runs until Start.
func New(sp *spool.Spool, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if opts.Name != "" {
		if err := spool.ValidName(opts.Name); err != nil {
			return nil, fmt.Errorf("mcp: %w", err)
		}
	}
	s := &Server{
		sp:       sp,
		rules:    rules.New(sp),
		opts:     opts,
		log:      opts.Logger,
		hub:      newHub(),
		handing:  newHandover(opts.Logger),
		marks:    newMarks(),
		sessions: newSessionTable(opts.PushedIDs),
	}
	s.agent.init()
	s.mcp = mcpserver.New(mcpserver.Options{
		Name:         ServerName,
		Version:      opts.Version,
		Instructions: instructions,
		Experimental: map[string]any{ChannelCapability: map[string]any{}},
		Hooks:        s.hooks(),
		Logger:       opts.Logger,
		MaxMessage:   maxRequest,
	})
	// Arguments are not validated against the schemas: the handlers check
	// every argument and say what is wrong in words.
	s.addTools()
	s.addResources()
	return s, nil
}

// Start starts watching and pushing, and registers Options.Name if set. A
// name held by another live process is logged and left unregistered: the
// agent can still register another with the register tool. The server runs
// until ctx is done or Close is called.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.ctx != nil {
		s.mu.Unlock()
		return errors.New("mcp: server already started")
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	fol, own := s.opts.Follower, false
	if fol == nil {
		f, err := follow.New(s.ctx, s.sp, follow.Options{Watcher: watcher.Options{Poll: s.opts.Poll, PollInterval: s.opts.PollInterval, Logger: s.log}})
		if err != nil {
			s.cancel()
			return fmt.Errorf("mcp: watch the spool: %w", err)
		}
		fol, own = f, true
	}
	s.mu.Lock()
	// Arrivals only: what is unread already, register and catch-up read
	// themselves, as much of it as they push.
	s.fol, s.ownFol, s.fd = fol, own, fol.OpenWith(follow.FeedOptions{Arrivals: true})
	s.mu.Unlock()
	s.wg.Add(2)
	go s.loop()
	go s.markLoop()
	s.startSessions()
	if s.opts.Name != "" {
		if _, err := s.register(s.opts.Name); err != nil {
			s.log.Warn("not registered at start; the agent can register another name", "name", s.opts.Name, "err", err)
		} else {
			s.log.Info("registered", "name", s.opts.Name)
		}
	}
	return nil
}

// Close stops the server: its feed (and its follower, if Start made it)
// and every goroutine it started are gone when it returns, and the name
// is released (it goes offline).
func (s *Server) Close() error {
	// Cancel under mu: async adds to wg under mu after checking ctx, so no
	// goroutine starts once Wait may run.
	s.mu.Lock()
	cancel, fd, fol := s.cancel, s.fd, s.fol
	if !s.ownFol {
		fol = nil
	}
	if cancel != nil {
		cancel()
	}
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	var err error
	if fd != nil {
		fd.Close()
	}
	if fol != nil {
		err = fol.Close()
	}
	s.wg.Wait()
	// A sender that was writing a push when the server stopped marks it
	// after markLoop's last look: with every sender gone, look again.
	s.markPending()
	if rerr := s.agent.release(); err == nil {
		err = rerr
	}
	return err
}

// stdoutGrace is how long writes to a client may still take once the
// server is told to stop, and then how long more it waits for them.
const stdoutGrace = time.Second

// ServeStdio serves one client over in and out (the process's stdin and
// stdout) until in ends or ctx is done. Each call is a session of its own.
// Messages longer than the HTTP request limit are refused with a JSON-RPC
// error while they are read, never held whole.
//
// A client may stop reading while the server still has answers to write:
// once ctx is done, writes to a pipe or socket are given a deadline, and
// in every case ServeStdio returns within 2×stdoutGrace, leaving any write
// still blocked to the process's exit, so that the server can be closed
// and its name go offline.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	var limited *os.File
	if f, ok := pollable(out); ok {
		defer f.Close()
		out, limited = f, f
	}
	done := make(chan error, 1)
	go func() { done <- s.mcp.ServeStdio(ctx, in, answerWriter{w: out, h: s.handing}) }()
	select {
	case err := <-done:
		return stdioEnd(err)
	case <-ctx.Done():
	}
	if limited != nil {
		_ = limited.SetWriteDeadline(time.Now().Add(stdoutGrace))
	}
	t := time.NewTimer(2 * stdoutGrace)
	defer t.Stop()
	select {
	case err := <-done:
		return stdioEnd(err)
	case <-t.C:
		s.log.Warn("the client stopped reading; stopping without waiting for the answers to it")
		return nil
	}
}

func stdioEnd(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// pollable returns a duplicate of out whose writes can be given a deadline,
// when out is a pipe or a socket: the duplicate is non-blocking, so Go's
// poller runs its writes. A terminal (or anything else) is left as it is,
// its mode being shared with the shell.
func pollable(out io.Writer) (*os.File, bool) {
	f, ok := out.(*os.File)
	if !ok {
		return nil, false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return nil, false
	}
	return platform.DupNonblock(f)
}

// HTTPHandler returns the streamable HTTP transport: mount it at /mcp. It
// answers only requests that carry Options.HTTPToken as a bearer token
// (401 otherwise, every request refused when there is none). Sessions are
// stateful (Mcp-Session-Id), so pushes reach the session that
// initialized. Requests whose Host is not local are refused (DNS
// rebinding protection), and so, with 403, is every request whose Origin
// header names anything but this machine (a web page the user visits
// cannot talk to the server, as the MCP transport rules require).
func (s *Server) HTTPHandler() http.Handler {
	return s.httpHandler()
}

func (s *Server) httpHandler() http.Handler {
	st := s.mcp.HTTPHandler(mcpserver.HTTPOptions{Heartbeat: 25 * time.Second, IdleTTL: time.Hour})
	return checkOrigin(requireToken(s.opts.HTTPToken, limitBody(s.trackRequests(s.handing.settleHTTP(st)))))
}

// maxRequest is the largest HTTP request body read: room for a message at
// the spool's one limit, with JSON's escapes, and no more, so a huge
// request is refused while it is read rather than decoded whole.
var maxRequest int64 = 2*spool.MaxMessage + 1<<20

// limitBody cuts request bodies at maxRequest; the JSON decoder then
// fails and the client gets an error, not the server an out-of-memory.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxRequest {
			http.Error(w, fmt.Sprintf("Request Entity Too Large: over %d MiB; messages are at most %d MiB", maxRequest>>20, spool.MaxMessage>>20), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
		next.ServeHTTP(w, r)
	})
}

// checkOrigin refuses with 403 Forbidden a request whose Host is not
// this machine (against DNS rebinding), or whose Origin header is present
// but not a loopback origin (http or https on localhost, 127.0.0.0/8 or
// [::1], any port). Requests without Origin come from programs, not
// browsers, and pass.
func checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !localHost(r.Host) {
			http.Error(w, "Forbidden: the Host "+strconv.Quote(r.Host)+" is not this machine; use 127.0.0.1, [::1] or localhost", http.StatusForbidden)
			return
		}
		if o, sent := r.Header["Origin"]; sent && (len(o) != 1 || !localOrigin(o[0])) {
			http.Error(w, "Forbidden: the Origin "+strconv.Quote(strings.Join(o, ", "))+" is not this machine", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// localHost reports whether a Host header names this machine: localhost
// or a loopback address, any port. A name that resolves to 127.0.0.1 only
// for a web page (DNS rebinding) is refused.
func localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localOrigin reports whether origin is scheme://host[:port] with an http
// scheme and a loopback host.
func localOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// trackRequests follows each session's GET streams and POSTs while they
// are answered (see awaitQuiet).
func (s *Server) trackRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ss *session
		if id := r.Header.Get(mcpserver.HeaderSessionID); id != "" && (r.Method == http.MethodGet || r.Method == http.MethodPost) {
			ss = s.existing(id)
		}
		if ss == nil {
			next.ServeHTTP(w, r)
			return
		}
		ss.request(r.Method, 1)
		defer ss.request(r.Method, -1)
		next.ServeHTTP(w, r)
	})
}

// requireToken passes on only the requests whose Authorization header is
// "Bearer TOKEN", comparing in constant time.
func requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if token == "" || !strings.EqualFold(scheme, "Bearer") ||
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ipc"`)
			http.Error(w, "Unauthorized: send the header \"Authorization: Bearer TOKEN\", TOKEN being the content of "+TokenFile+" in the spool.", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves streamable HTTP at /mcp on ln until ctx is done, then
// shuts down, closing the open streams. It refuses to serve without
// Options.HTTPToken.
func (s *Server) ServeHTTP(ctx context.Context, ln net.Listener) error {
	if s.opts.HTTPToken == "" {
		return errors.New("mcp: serving HTTP needs a token (Options.HTTPToken)")
	}
	h := s.httpHandler()
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(errorWriter{s.log}, "", 0)}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.mcp.CloseSessions()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// errorWriter turns the lines a log.Logger writes into errors on a slog.Logger.
type errorWriter struct{ log *slog.Logger }

func (w errorWriter) Write(p []byte) (int, error) {
	w.log.Error(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// loop reads the server's feed: mail arriving for the agent is pushed,
// waiters are woken and subscribers told.
func (s *Server) loop() {
	defer s.wg.Done()
	events := s.feed().Events()
	for {
		select {
		case <-s.ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			s.arrived(ev)
		}
	}
}
