package mcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcpserver"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/search"
)

// maxSearchLimit bounds the hits one search call returns, so a result
// stays a size a model's context can take.
const maxSearchLimit = 200

// addSearchTool registers search, which reads every mailbox and marks
// nothing read.
func (s *Server) addSearchTool() {
	s.mcp.AddTools(mcpserver.Tool{Tool: tool("search",
		`Search every mailbox, read and unread, newest first, without marking anything read ("search mail for X", "find messages from NAME"). Each hit gives the mailbox, id, sender, time, subject and the first line; read a whole message with check or by replying to its id. Query syntax: words and "phrases" (at the start of a word, any case), from:NAME, to:NAME (that mailbox), after:DATE, before:DATE, date:DATE or date:A..B (DATE is 2026-12-01, 2026-12-01T15:04 or an age such as 2h or 7d), thread:ID, id:ID, is:unread, is:read; all terms must match.`,
		hints{title: "Search mail", readOnly: true, idempotent: true},
		mcpgo.WithString("query", mcpgo.Required(), mcpgo.Description(`The query, e.g. "from:alice deploy after:2d".`)),
		mcpgo.WithNumber("limit", mcpgo.Description(fmt.Sprintf("At most this many hits (default %d, at most %d).", search.DefaultLimit, maxSearchLimit)), mcpgo.Min(1))),
		Handler: s.toolSearch})
}

// found is search's structured result: the hits without their whole
// bodies, which a model reads with check.
type found struct {
	Hits   []foundHit    `json:"hits"`
	More   bool          `json:"more"`
	Engine search.Engine `json:"engine"`
}

type foundHit struct {
	Mailbox string    `json:"mailbox"`
	ID      string    `json:"id"`
	From    string    `json:"from"`
	To      []string  `json:"to"`
	Date    time.Time `json:"date"`
	Subject string    `json:"subject"`
	Snippet string    `json:"snippet"`
	Unread  bool      `json:"unread"`
	Thread  string    `json:"thread"`
}

func (s *Server) toolSearch(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	a := argsOf(req)
	query := a.str("query", true)
	limit := a.count("limit", search.DefaultLimit, maxSearchLimit)
	if a.err != nil {
		return failed(a.err)
	}
	q, err := search.Parse(query, s.sp.Now(), time.Local)
	if err != nil {
		return failed(err)
	}
	res, err := search.New(s.sp).Search(ctx, q, search.Options{Limit: limit})
	if err != nil {
		return failed(err)
	}
	f := found{Hits: []foundHit{}, More: res.More, Engine: res.Engine}
	for _, h := range res.Hits {
		m := h.Message
		f.Hits = append(f.Hits, foundHit{Mailbox: h.Mailbox, ID: m.ID, From: m.From, To: m.To, Date: m.Date,
			Subject: m.Subject, Snippet: firstLine(m.Body, 160), Unread: h.Unread, Thread: m.Thread()})
	}
	return ok(f, foundText(f, s.sp.Now()))
}

// foundText lists hits for clients that show the text content.
func foundText(f found, now time.Time) string {
	if len(f.Hits) == 0 {
		return "No messages match."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s match, newest first:\n", plural(len(f.Hits), "message"))
	for _, h := range f.Hits {
		from := rules.Sender(h.From)
		state := ""
		if h.Unread {
			state = ", unread"
		}
		fmt.Fprintf(&b, "\nID: %s (in %s's mailbox%s)\nFrom: %s, %s\nSubject: %s\n", h.ID, h.Mailbox, state, from, ago(now, h.Date), h.Subject)
		if h.Snippet != "" && h.Snippet != h.Subject {
			fmt.Fprintf(&b, "Text: %s\n", h.Snippet)
		}
	}
	if f.More {
		b.WriteString("\nMore messages match: narrow the query or raise limit.")
	}
	return strings.TrimRight(b.String(), "\n")
}

// count returns whole-number argument name, def if absent, cut to max.
func (a *args) count(name string, def, max int) int {
	f, ok := a.number(name, "a whole number")
	if !ok {
		return def
	}
	if f < 1 || f != float64(int(f)) {
		a.err = fmt.Errorf("argument %s must be a whole number of 1 or more, not %g", name, f)
		return def
	}
	return min(int(f), max)
}
