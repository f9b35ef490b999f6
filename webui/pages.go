package webui

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/search"
	"github.com/claude-ipc/ipc/spool"
)

//go:embed assets
var assets embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"join": strings.Join,
	}).ParseFS(assets, "assets/templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("webui: templates: %w", err)
	}
	return t, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.handleList)
	m.HandleFunc("GET /thread/{id}", s.handleThread)
	m.HandleFunc("GET /text/{box}/{id}", s.handleText)
	m.HandleFunc("GET /large/{box}/{id}", s.handleLarge)
	m.HandleFunc("POST /send", s.handleSend)
	m.HandleFunc("POST /reply", s.handleReply)
	m.HandleFunc("POST /mark", s.handleMark)
	m.HandleFunc("GET /events", s.handleEvents)
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.static)))
	s.mux = m
}

// page is what every template gets.
type page struct {
	Title   string
	Me      string
	Boxes   []boxView
	Box     string // the mailbox shown, "" for all
	Query   string
	Notice  string
	Problem string
	Token   string // unused by templates; never rendered

	List   *listView
	Thread *threadView
	Draft  draft
}

type boxView struct {
	Name       string
	Online     bool
	Registered bool
	Unread     int
	LastSeen   string
	Selected   bool
}

type listView struct {
	Rows       []row
	Offset     int
	PrevOffset int
	NextOffset int
	HasPrev    bool
	More       bool
	Engine     string
	Empty      string
}

type row struct {
	Mailbox, ID, From, To, Subject, Snippet, When, Thread string
	Caution                                               string // why the sender is not vouched for; "" when it is
	Unread                                                bool
}

type threadView struct {
	Root     string
	Subject  string
	Messages []msgView
	Focus    string // id of the message asked for
	Reply    draft
}

type msgView struct {
	ID, From, Subject, Date, Body, Data string
	Caution                             string // why the sender is not vouched for; "" when it is
	To, Mailboxes                       []string
	States                              []string // how far each copy got: "bob: surfaced 21:36"
	Box                                 string   // a mailbox that holds it, for links and marks
	Unread                              bool
	Flags                               string
	Truncated                           bool
	Size                                int
	LargeFile                           bool
	LargeSize                           int64
	InReplyTo                           string
	Focus                               bool

	sent  time.Time // for ordering
	depth int       // how many messages it references
}

type draft struct {
	To, Subject, Body, ReplyBox, ReplyID string
	Everyone                             bool
}

// render writes a template, or a plain error when it fails.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		s.log.Warn("webui: render", "template", name, "err", err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// basePage fills what every page shows: the mailboxes and who sends.
func (s *Server) basePage(r *http.Request, title string) *page {
	p := &page{Title: title, Me: s.opts.Name, Box: r.URL.Query().Get("box"), Query: r.URL.Query().Get("q"),
		Notice: r.URL.Query().Get("notice"), Problem: r.URL.Query().Get("problem")}
	if p.Box != "" && spool.ValidName(p.Box) != nil {
		p.Box = ""
	}
	infos, err := s.sp.List()
	if err != nil {
		p.Problem = "Could not list the mailboxes: " + err.Error()
	}
	now := s.sp.Now()
	for _, n := range infos {
		b := boxView{Name: n.Name, Online: n.Online, Registered: n.Registered, Unread: n.Unread, Selected: n.Name == p.Box}
		if !n.LastSeen.IsZero() {
			b.LastSeen = ago(now, n.LastSeen)
		}
		p.Boxes = append(p.Boxes, b)
	}
	return p
}

// handleList shows messages newest first, a page at a time: all of them,
// one mailbox's (box=NAME), or a search's (q=QUERY).
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	p := s.basePage(r, "ipc inbox")
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	offset = max(offset, 0)
	query := p.Query
	if p.Box != "" {
		query += " to:" + p.Box
	}
	now := s.sp.Now()
	q, err := search.Parse(query, now, time.Local)
	status := http.StatusOK
	lv := &listView{Offset: offset}
	p.List = lv
	if err != nil {
		p.Problem = err.Error()
		status = http.StatusBadRequest
		lv.Empty = "Fix the query to see messages."
		s.render(w, status, "page", p)
		return
	}
	res, err := s.search.Search(r.Context(), q, search.Options{Limit: s.opts.PageSize, Offset: offset})
	if err != nil {
		p.Problem = "Search failed: " + err.Error()
		status = http.StatusInternalServerError
	}
	lv.More, lv.Engine = res.More, string(res.Engine)
	lv.HasPrev, lv.PrevOffset, lv.NextOffset = offset > 0, max(offset-s.opts.PageSize, 0), offset+len(res.Hits)
	for _, h := range res.Hits {
		// The copies of one message (a broadcast, a send to several names)
		// arrive together: one row names every mailbox.
		if n := len(lv.Rows); n > 0 && lv.Rows[n-1].ID == h.Message.ID {
			lv.Rows[n-1].Mailbox += ", " + h.Mailbox
			lv.Rows[n-1].Unread = lv.Rows[n-1].Unread || h.Unread
			continue
		}
		lv.Rows = append(lv.Rows, rowOf(h, now))
	}
	if len(lv.Rows) == 0 {
		lv.Empty = "No messages."
		if p.Query != "" {
			lv.Empty = "No messages match."
		}
	}
	if p.Box != "" {
		p.Draft.To = p.Box
	}
	s.render(w, status, "page", p)
}

func rowOf(h search.Hit, now time.Time) row {
	m := h.Message
	r := row{Mailbox: h.Mailbox, ID: m.ID, From: sender(m), To: strings.Join(m.To, ", "), Subject: m.Subject,
		Snippet: snippet(m.Body, 140), When: ago(now, m.Date), Thread: m.Thread(), Unread: h.Unread, Caution: m.Caution()}
	if strings.HasPrefix(r.Snippet, strings.TrimSuffix(r.Subject, "…")) && len(r.Snippet) <= len(r.Subject)+40 {
		r.Snippet = "" // the subject says it all
	}
	return r
}

func sender(m *spool.Message) string { return rules.Sender(m.From) }

// handleThread shows every message of a thread, in every mailbox, oldest
// first, with a reply form under it.
func (s *Server) handleThread(w http.ResponseWriter, r *http.Request) {
	root := r.PathValue("id")
	p := s.basePage(r, "thread")
	q, err := search.Parse("thread:"+quoteTerm(root), s.sp.Now(), time.Local)
	if err != nil {
		http.Error(w, "bad thread id", http.StatusBadRequest)
		return
	}
	res, err := s.search.Search(r.Context(), q, search.Options{Limit: 1000})
	if err != nil {
		p.Problem = "Could not read the thread: " + err.Error()
	}
	tv := &threadView{Root: root, Focus: r.URL.Query().Get("focus")}
	tv.Messages = s.threadMessages(res.Hits, tv.Focus)
	if len(tv.Messages) == 0 {
		p.Problem = "No message of this thread is in any mailbox."
		s.render(w, http.StatusNotFound, "page", p)
		return
	}
	first := tv.Messages[0]
	tv.Subject = first.Subject
	p.Title = tv.Subject
	last := tv.Messages[len(tv.Messages)-1]
	for i := len(tv.Messages) - 1; i >= 0; i-- { // answer the message asked for, else the last
		if tv.Messages[i].ID == tv.Focus {
			last = tv.Messages[i]
			break
		}
	}
	to := last.From
	if to == s.opts.Name || to == rules.UnknownSender {
		to = strings.Join(last.To, ",")
	}
	tv.Reply = draft{To: to, ReplyBox: last.Box, ReplyID: last.ID}
	p.Thread = tv
	s.render(w, http.StatusOK, "page", p)
}

// threadMessages turns hits (newest first, one per mailbox copy) into one
// view per message, oldest first, listing the mailboxes holding a copy.
func (s *Server) threadMessages(hits []search.Hit, focus string) []msgView {
	byID := map[string]int{}
	var out []msgView
	for i := len(hits) - 1; i >= 0; i-- {
		h := hits[i]
		if j, ok := byID[h.Message.ID]; ok {
			out[j].Mailboxes = append(out[j].Mailboxes, h.Mailbox)
			out[j].States = append(out[j].States, s.progress(h))
			out[j].Unread = out[j].Unread || h.Unread
			continue
		}
		byID[h.Message.ID] = len(out)
		v := s.messageView(h, focus)
		v.States = []string{s.progress(h)}
		out = append(out, v)
	}
	for i := range out {
		slices.Sort(out[i].Mailboxes)
		slices.Sort(out[i].States)
	}
	// Oldest first; within one second (the Date header's precision) an
	// answer, which references more messages, after what it answers.
	slices.SortStableFunc(out, func(a, b msgView) int {
		if c := a.sent.Compare(b.sent); c != 0 {
			return c
		}
		return a.depth - b.depth
	})
	return out
}

func (s *Server) messageView(h search.Hit, focus string) msgView {
	m := h.Message
	v := msgView{ID: m.ID, From: sender(m), Caution: m.Caution(), To: m.To, Subject: m.Subject, Box: h.Mailbox, Mailboxes: []string{h.Mailbox},
		Date: m.Date.Local().Format("2006-01-02 15:04:05"), Unread: h.Unread, Flags: string(m.Flags),
		Size: len(m.Body), LargeFile: m.LargeFile != "", LargeSize: m.LargeSize, InReplyTo: m.InReplyTo, Focus: m.ID == focus,
		sent: m.Date.Truncate(time.Second), depth: len(m.References)}
	v.Body, v.Truncated = cut(m.Body, s.opts.ShowBytes)
	if len(m.Data) > 0 {
		var b bytes.Buffer
		if json.Indent(&b, m.Data, "", "  ") == nil {
			v.Data = b.String()
		} else {
			v.Data = string(m.Data)
		}
	}
	return v
}

// progress says how far one copy of a message got: "bob: surfaced 21:36".
func (s *Server) progress(h search.Hit) string {
	mb, err := s.sp.Mailbox(h.Mailbox)
	if err != nil {
		return h.Mailbox
	}
	p := mb.ProgressOf(h.Message)
	text := h.Mailbox + ": " + p.State.String()
	if at, ok := p.At[p.State.String()]; ok {
		text += " " + at.Local().Format("15:04:05")
	}
	return text
}

// cut returns at most n bytes of s, ending on a whole rune, and whether
// it cut.
func cut(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// snippet is the start of a body on one line.
func snippet(body string, n int) string {
	s := strings.Join(strings.Fields(body[:min(len(body), 4*n)]), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// quoteTerm keeps an id that holds spaces or quotes one query term.
func quoteTerm(id string) string {
	return `"` + strings.ReplaceAll(id, `"`, "") + `"`
}

// find returns the message id in mailbox box, for the text and large-file
// links.
func (s *Server) find(box, id string) (*spool.Message, error) {
	mb, err := s.sp.Mailbox(box)
	if err != nil {
		return nil, err
	}
	return mb.Find(id)
}

// handleText serves the whole body of a message as plain text: what the
// page shows cut at ShowBytes.
func (s *Server) handleText(w http.ResponseWriter, r *http.Request) {
	m, err := s.find(r.PathValue("box"), r.PathValue("id"))
	if err != nil {
		notFound(w, err)
		return
	}
	plainText(w, m.Body)
}

// handleLarge serves the full text of a large message from large/. The
// path comes from a header any sender can forge, so only a plain file
// directly inside the spool's large/ is served, opened without following
// a symlink.
func (s *Server) handleLarge(w http.ResponseWriter, r *http.Request) {
	m, err := s.find(r.PathValue("box"), r.PathValue("id"))
	if err != nil {
		notFound(w, err)
		return
	}
	b, err := readLarge(s.sp.LargeDir(), m.LargeFile)
	if err != nil {
		s.log.Warn("webui: large file refused", "id", m.ID, "path", m.LargeFile, "err", err)
		http.Error(w, "no large file for this message", http.StatusNotFound)
		return
	}
	plainText(w, string(b))
}

func plainText(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write([]byte(text))
}

func notFound(w http.ResponseWriter, err error) {
	if errors.Is(err, spool.ErrNotFound) || errors.Is(err, spool.ErrBadID) || errors.Is(err, spool.ErrBadName) || errors.Is(err, fs.ErrNotExist) {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	http.Error(w, "could not read the message", http.StatusInternalServerError)
}

// ago says how long before now t was, briefly.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return t.Local().Format("Jan 2 15:04")
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	case d < 7*24*time.Hour:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
	return t.Local().Format("Jan 2 2006")
}
