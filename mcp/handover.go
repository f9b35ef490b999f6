package mcp

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/spool"
)

// A tool that reads mail (check, auto_process, wait) claims it, then
// answers; the answer may never reach the client (it went away, its pipe
// broke). Mail in an answer that could not be written is put back, unread
// (spool's Unclaim), so the server marks read only what it gave. The
// answer is followed from the handler (hold) through the server's Answered hook
// (which gives its JSON-RPC id) to the transport's write of it (written).

// heldFor is how long a held answer waits to be written before it counts
// as given: clients in the same process (tests, ipc do) are handed results
// without a transport.
const heldFor = time.Minute

type heldMail struct {
	mb   *spool.Mailbox
	msgs []*spool.Message
	at   time.Time
}

// handover follows the answers that carry claimed mail.
type handover struct {
	log      *slog.Logger
	mu       sync.Mutex
	byResult map[*mcpgo.CallToolResult]*heldMail
	byID     map[string]*heldMail
}

func newHandover(log *slog.Logger) *handover {
	return &handover{log: log, byResult: map[*mcpgo.CallToolResult]*heldMail{}, byID: map[string]*heldMail{}}
}

// hold notes that res carries msgs, claimed from mb.
func (h *handover) hold(res *mcpgo.CallToolResult, mb *spool.Mailbox, msgs []*spool.Message) (*mcpgo.CallToolResult, error) {
	if len(msgs) == 0 || res == nil {
		return res, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.prune()
	h.byResult[res] = &heldMail{mb: mb, msgs: msgs, at: time.Now()}
	return res, nil
}

// answered is the success hook: the answer res goes out as request id.
func (h *handover) answered(id any, res any) {
	r, ok := res.(*mcpgo.CallToolResult)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if hm, ok := h.byResult[r]; ok {
		delete(h.byResult, r)
		h.byID[idKey(id)] = hm
	}
}

// written settles the answer to id: given when err is nil, else its mail
// is put back.
func (h *handover) written(id string, err error) {
	h.mu.Lock()
	hm, ok := h.byID[id]
	delete(h.byID, id)
	h.mu.Unlock()
	if !ok || err == nil {
		return
	}
	if uerr := hm.mb.Unclaim(hm.msgs); uerr != nil {
		hm.log(h.log, "answer not written; mail not all put back", uerr)
		return
	}
	hm.log(h.log, "answer not written; its mail put back, unread", err)
}

func (hm *heldMail) log(l *slog.Logger, msg string, err error) {
	l.Warn(msg, "mailbox", hm.mb.Name, "messages", len(hm.msgs), "err", err)
}

// prune forgets answers held longer than heldFor (given). h.mu is held.
func (h *handover) prune() {
	cut := time.Now().Add(-heldFor)
	for k, hm := range h.byResult {
		if hm.at.Before(cut) {
			delete(h.byResult, k)
		}
	}
	for k, hm := range h.byID {
		if hm.at.Before(cut) {
			delete(h.byID, k)
		}
	}
}

func idKey(id any) string {
	switch v := id.(type) {
	case mcpgo.RequestId:
		return v.String()
	case *mcpgo.RequestId:
		return v.String()
	}
	b, _ := json.Marshal(id)
	var r mcpgo.RequestId
	_ = json.Unmarshal(b, &r)
	return r.String()
}

// responseIDs returns the ids of the JSON-RPC responses in b: one JSON
// message per line (stdio), or the data lines of server-sent events.
func responseIDs(b []byte) []string {
	var ids []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimPrefix(bytes.TrimSpace(line), []byte("data:"))
		if !bytes.Contains(line, []byte(`"result"`)) {
			continue
		}
		var m struct {
			ID     *mcpgo.RequestId `json:"id"`
			Result json.RawMessage  `json:"result"`
		}
		if json.Unmarshal(bytes.TrimSpace(line), &m) == nil && m.ID != nil && m.Result != nil {
			ids = append(ids, m.ID.String())
		}
	}
	return ids
}

// answerWriter is the stdio transport's output: each answer written is
// settled with the outcome of its write.
type answerWriter struct {
	w io.Writer
	h *handover
}

func (a answerWriter) Write(p []byte) (int, error) {
	n, err := a.w.Write(p)
	for _, id := range responseIDs(p) {
		a.h.written(id, err)
	}
	return n, err
}

// settleHTTP settles the answers of one HTTP request once it is served:
// put back when a write failed or the client went away before the end.
func (h *handover) settleHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &answerResponse{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		err := rw.err
		if err == nil {
			err = r.Context().Err()
		}
		for _, id := range rw.ids {
			h.written(id, err)
		}
	})
}

// answerResponse records the answers written to an HTTP response and the
// first write error.
type answerResponse struct {
	http.ResponseWriter
	ids []string
	err error
}

func (a *answerResponse) Write(p []byte) (int, error) {
	n, err := a.ResponseWriter.Write(p)
	a.ids = append(a.ids, responseIDs(p)...)
	if err != nil && a.err == nil {
		a.err = err
	}
	return n, err
}

// Flush passes on flushes, which the event streams need.
func (a *answerResponse) Flush() {
	if f, ok := a.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (a *answerResponse) Unwrap() http.ResponseWriter { return a.ResponseWriter }
