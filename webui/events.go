package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

// event is what the page is told over its event stream. It names what
// changed; the page fetches itself again to show it.
type event struct {
	Kind    string `json:"kind"` // "mail": a message became unread; "change": a delivery state advanced, or a file that is not mail appeared; "resync": events were lost
	Mailbox string `json:"mailbox,omitempty"`
	ID      string `json:"id,omitempty"`
	From    string `json:"from,omitempty"`
	Subject string `json:"subject,omitempty"`
	Thread  string `json:"thread,omitempty"`
}

// hub turns the follower's events into page events and fans them out to
// every open event stream. Its run goroutine owns the Feed; subscribers
// come and go under mu.
type hub struct {
	sp  *spool.Spool
	f   *follow.Follower
	log *slog.Logger

	mu   sync.Mutex
	subs map[chan event]struct{}
}

func newHub(sp *spool.Spool, f *follow.Follower, log *slog.Logger) *hub {
	return &hub{sp: sp, f: f, log: log, subs: map[chan event]struct{}{}}
}

// live reports whether the page gets live updates.
func (h *hub) live() bool { return h.f != nil }

// run follows every mailbox, those created later too, until ctx is done.
func (h *hub) run(ctx context.Context) {
	if h.f == nil {
		return
	}
	fd := h.f.Open()
	defer fd.Close()
	if err := fd.FollowAll(); err != nil {
		h.log.Warn("webui: follow the mailboxes", "err", err)
		return
	}
	// Delivery states that Maildir has no flag for (notified, surfaced,
	// acknowledged) are marker files: watched per mailbox, from the start
	// for those there now and from its first mail for a new one.
	marked := map[string]bool{}
	watchStates := func(name string) {
		if marked[name] {
			return
		}
		marked[name] = true
		if mb, err := h.sp.Mailbox(name); err == nil {
			dirs := mb.DeliveryDirs()
			if err := fd.Watch(dirs[len(dirs)-1]); err != nil {
				h.log.Warn("webui: watch delivery states", "name", name, "err", err)
			}
		}
	}
	names, _ := h.sp.Names()
	for _, n := range names {
		watchStates(n)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fd.Events():
			if !ok {
				return
			}
			if ev.Name != "" {
				watchStates(ev.Name)
			}
			h.publish(pageEvent(ev))
		}
	}
}

// pageEvent says what a follower event means for the page.
func pageEvent(ev follow.Event) event {
	if ev.Message == nil {
		return event{Kind: "change", Mailbox: ev.Name}
	}
	m := ev.Message
	return event{Kind: "mail", Mailbox: ev.Name, ID: m.ID, From: m.From, Subject: m.Subject, Thread: m.Thread()}
}

// subscribe returns a channel of events and a function that closes it.
func (h *hub) subscribe() (<-chan event, func()) {
	ch := make(chan event, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// publish gives ev to every subscriber. One whose queue is full gets a
// resync instead, once there is room: the page then fetches everything.
func (h *hub) publish(ev event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
			select {
			case <-ch: // make room for the resync
			default:
			}
			select {
			case ch <- event{Kind: "resync"}:
			default:
			}
		}
	}
}

// pingEvery keeps idle event streams open through proxies and lets a
// closed browser tab be noticed.
const pingEvery = 20 * time.Second

// handleEvents streams events to the page (server-sent events).
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	if !s.hub.live() {
		w.WriteHeader(http.StatusNoContent) // EventSource stops on 204
		return
	}
	ch, done := s.hub.subscribe()
	defer done()
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case ev := <-ch:
			b, _ := json.Marshal(ev) // escapes <, > and & too
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, b)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
