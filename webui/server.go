package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/search"
	"github.com/claude-ipc/ipc/spool"
)

// DefaultName is the name the page sends as unless told otherwise.
const DefaultName = "overseer"

// Options configure a Server.
type Options struct {
	Name     string           // who the page sends as; DefaultName if ""
	Token    string           // the secret the URL carries; random if ""
	Follower *follow.Follower // the process's follower, which feeds live updates
	Logger   *slog.Logger     // nil: discarded
	PageSize int              // messages per page; 0: 50
	// ShowBytes is how much of a body the page shows before it links to
	// the full text; 0: 64 KiB.
	ShowBytes int
}

// Server is the web inbox of one spool. It is an http.Handler; Serve runs
// it on a listener.
type Server struct {
	sp     *spool.Spool
	opts   Options
	log    *slog.Logger
	search *search.Searcher
	rules  *rules.Rules
	hub    *hub
	tmpl   *template.Template
	mux    *http.ServeMux
	addr   string // host:port of the listener; the Host of every request must name its port
	static fs.FS
}

// New builds the web inbox of sp for the listener ln (whose address the
// Host of every request must name). Nothing is answered until Serve.
func New(sp *spool.Spool, ln net.Listener, opts Options) (*Server, error) {
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if err := spool.ValidName(opts.Name); err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	if opts.Token == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("webui: token: %w", err)
		}
		opts.Token = hex.EncodeToString(b)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 50
	}
	if opts.ShowBytes <= 0 {
		opts.ShowBytes = 64 << 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		return nil, fmt.Errorf("webui: assets: %w", err)
	}
	s := &Server{sp: sp, opts: opts, log: opts.Logger, search: search.New(sp), rules: rules.New(sp), tmpl: tmpl, static: static, addr: ln.Addr().String()}
	s.hub = newHub(sp, opts.Follower, opts.Logger)
	s.routes()
	return s, nil
}

// Token returns the secret the page's URL carries.
func (s *Server) Token() string { return s.opts.Token }

// URL returns the address to open, token included.
func (s *Server) URL() string {
	return "http://" + s.addr + "/?token=" + url.QueryEscape(s.opts.Token)
}

// Serve answers requests on ln until ctx is done, then shuts down: open
// event streams are closed and requests in flight get a few seconds. The
// Server answers only requests addressed to ln's port.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.addr != ln.Addr().String() {
		return fmt.Errorf("webui: serve on %s: the server was made for %s", ln.Addr(), s.addr)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); s.hub.run(ctx) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srv.Shutdown(shut) // event streams end with ctx, which they watch
	<-hubDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// securityHeaders go on every answer: no script but our own file, no
// style but our own file, nothing loaded from anywhere else, no framing,
// no referrer to other sites.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "same-origin",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Cache-Control":                "no-store",
}

// ServeHTTP checks every request before any handler sees it: the Host
// (against DNS rebinding), the token (in the cookie the first visit sets,
// or the URL), and for anything that changes mail the Origin.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	if !s.hostAllowed(r.Host) {
		http.Error(w, "wrong host", http.StatusForbidden)
		return
	}
	if tok := r.URL.Query().Get("token"); tok != "" && s.tokenOK(tok) && r.Method == http.MethodGet {
		// Trade the URL's token for a cookie and drop it from the address
		// bar, history and any referrer.
		http.SetCookie(w, s.cookie())
		q := r.URL.Query()
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(w, "unauthorized")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !s.sameOrigin(r) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// cookieName carries the port: browsers share cookies between the ports
// of one host, and two inboxes must not overwrite each other's.
func (s *Server) cookieName() string {
	_, port, _ := net.SplitHostPort(s.addr)
	return "ipc_ui_" + port
}

func (s *Server) cookie() *http.Cookie {
	return &http.Cookie{Name: s.cookieName(), Value: s.opts.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode}
}

// tokenOK compares a presented token with ours in constant time.
func (s *Server) tokenOK(tok string) bool {
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
}

// authorized reports whether r carries the token: the cookie, or a bearer
// token for scripts.
func (s *Server) authorized(r *http.Request) bool {
	if c, err := r.Cookie(s.cookieName()); err == nil && s.tokenOK(c.Value) {
		return true
	}
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.tokenOK(auth) {
		return true
	}
	return false
}

// hostAllowed accepts a Host header naming this server's port on an IP
// address or localhost: a page of another site that a DNS rebinding
// points here arrives with that site's name and is refused.
func (s *Server) hostAllowed(host string) bool {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return false
	}
	_, want, _ := net.SplitHostPort(s.addr)
	if port != want {
		return false
	}
	listenHost, _, _ := net.SplitHostPort(s.addr)
	return h == "localhost" || net.ParseIP(strings.Trim(h, "[]")) != nil || strings.EqualFold(h, listenHost)
}

// sameOrigin reports whether a request that changes mail comes from this
// page. Browsers say where a request comes from in Fetch metadata
// (Sec-Fetch-Site, which must then be same-origin) and in Origin (which
// must then name this server; "null" is trusted only beside
// same-origin metadata). A client that sends neither is not a browser
// and holds the token itself.
func (s *Server) sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	origin := r.Header.Get("Origin")
	switch origin {
	case "":
		return true
	case "null":
		return site == "same-origin"
	}
	u, err := url.Parse(origin)
	return err == nil && u.Scheme == "http" && u.Host == r.Host && s.hostAllowed(u.Host)
}
