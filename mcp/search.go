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
	s.mcp.AddTools(mcpserver.Tool{Tool: tool[found]("search",
		`Search every mailbox, read and unread, newest first, without marking anything read ("search mail for X", "find messages from NAME"). The answer gives hits, each with mailbox, id, from, to, time and age, subject, snippet (the first line), unread, thread and provenance; more (more matched than limit) and engine (notmuch's index or a scan). Unread mail of yours is read whole with check. Query syntax: words and "phrases" (at the start of a word, any case), from:NAME, to:NAME (that mailbox), after:DATE, before:DATE, date:DATE or date:A..B (DATE is 2026-12-01, 2026-12-01T15:04 or an age such as 2h or 7d), thread:ID, id:ID, is:unread, is:read; all terms must match.`,
		hints{title: "Search mail", readOnly: true, idempotent: true},
		mcpgo.WithString("query", mcpgo.Required(), mcpgo.Description(`The query, e.g. "from:alice deploy after:2d".`)),
		mcpgo.WithNumber("limit", mcpgo.Description(fmt.Sprintf("At most this many hits (default %d, at most %d).", search.DefaultLimit, maxSearchLimit)), mcpgo.Min(1))),
		Handler: s.toolSearch})
}

// found is search's answer: the hits without their whole bodies, which a
// model reads with check.
type found struct {
	Hits   []foundHit    `json:"hits" desc:"The messages that match, newest first."`
	More   bool          `json:"more" desc:"More messages match than were returned."`
	Engine search.Engine `json:"engine" desc:"What searched: notmuch's index, or a scan of every file."`
}

type foundHit struct {
	Mailbox    string   `json:"mailbox" desc:"The mailbox it is in."`
	ID         string   `json:"id"`
	From       string   `json:"from"`
	To         []string `json:"to"`
	Time       string   `json:"time" desc:"When it was sent (RFC 3339)."`
	Age        string   `json:"age"`
	Subject    string   `json:"subject"`
	Snippet    string   `json:"snippet" desc:"The first line of its text."`
	Unread     bool     `json:"unread"`
	Thread     string   `json:"thread" desc:"The id of the first message of its thread."`
	Provenance string   `json:"provenance" desc:"How the sender was established: session (verified), cli, drop-in, sendmail or bridge."`
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
	now := s.sp.Now()
	f := found{Hits: []foundHit{}, More: res.More, Engine: res.Engine}
	for _, h := range res.Hits {
		m := h.Message
		to := m.To
		if to == nil {
			to = []string{}
		}
		f.Hits = append(f.Hits, foundHit{Mailbox: h.Mailbox, ID: m.ID, From: rules.Sender(m.From), To: to, Time: timeText(m.Date),
			Age: ago(now, m.Date), Subject: m.Subject, Snippet: firstLine(m.Text(), 160), Unread: h.Unread, Thread: m.Thread(),
			Provenance: string(m.Provenance)})
	}
	return ok(f, f.text())
}

// text lists the hits, one block each.
func (f found) text() string {
	if len(f.Hits) == 0 {
		return fmt.Sprintf("No messages match (engine: %s).", f.Engine)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s match, newest first (engine: %s):\n", plural(len(f.Hits), "message"), f.Engine)
	for _, h := range f.Hits {
		state := "read"
		if h.Unread {
			state = "unread"
		}
		fmt.Fprintf(&b, "\nID: %s (in %s's mailbox, %s)\nFrom: %s (provenance: %s)\nTo: %s\nTime: %s (%s)\nSubject: %s\nThread: %s\n",
			h.ID, h.Mailbox, state, h.From, h.Provenance, strings.Join(h.To, ", "), h.Time, h.Age, h.Subject, h.Thread)
		if h.Snippet != "" {
			fmt.Fprintf(&b, "Snippet: %s\n", h.Snippet)
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
