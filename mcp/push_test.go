package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcptest"
)

func TestChannelPushFromAnotherProcess(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{})
	c, n := connect(t, srv)
	mustOK(t, c, "register", map[string]any{"instance_id": "alice"})

	rc := send(t, sp.Root, "bob", "alice", "build is green\nall 312 tests pass", `{"run":42}`)
	l := n.Await(t, ChannelMethod, "the channel event", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= 1 })
	ev := decodeChannel(t, l[0])
	// bob's name is held by nobody: his mail says so, in meta and in the text.
	want := map[string]string{"from": "bob", "to": "alice", "message_id": rc.ID, "subject": "build is green", "thread": rc.ID,
		"provenance": "cli"}
	for k, v := range want {
		if ev.Meta[k] != v {
			t.Errorf("meta[%s] = %q, want %q", k, ev.Meta[k], v)
		}
	}
	if len(ev.Meta) != len(want) {
		t.Errorf("meta %v has keys beyond %v", ev.Meta, want)
	}
	if ev.Content != "[CLI: unverified sender: sent with --as or IPC_NAME by a process that does not hold the name, "+
		"so anyone could have sent it]\nbuild is green\nall 312 tests pass\n\ndata: {\"run\":42}" {
		t.Errorf("content %q", ev.Content)
	}
	// Pushing claims nothing: the message waits for check.
	if n := unread(t, sp, "alice"); n != 1 {
		t.Errorf("%d unread after the push, want 1", n)
	}
	// A reply to the pushed id works.
	mustOK(t, c, "reply", map[string]any{"message_id": ev.Meta["message_id"], "content": "thanks"})
	pushed, _, _ := srv.hub.stats()
	if pushed != 1 {
		t.Errorf("hub counted %d pushes", pushed)
	}
}

// TestNothingPushedBeforeInitialized speaks the handshake on the wire,
// holding notifications/initialized back: a ping pipelined with
// initialize and another after its answer (a client may ping at any time)
// must not make the session ready, and nothing may be pushed before the
// client has written notifications/initialized; then the mail waiting
// comes, oldest first.
func TestNothingPushedBeforeInitialized(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", ReadyAfter: time.Hour})
	before := send(t, sp.Root, "bob", "alice", "sent before any client", "")
	w := dialStdio(t, srv)
	during := send(t, sp.Root, "bob", "alice", "sent before initialize", "")
	w.write(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`)
	w.write(t, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	early := w.until(t, "1", "2")
	w.write(t, `{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	early = append(early, w.until(t, "3")...)
	sessions := srv.sessionList()
	if len(sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(sessions))
	}
	for _, ss := range sessions {
		// Once its sender has looked at the initialized session, it
		// must still be waiting.
		var ready bool
		seen := func() bool {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			ready = ss.ready
			return !ss.initAt.IsZero()
		}
		for end := time.Now().Add(wait); !seen() && time.Now().Before(end); {
			time.Sleep(time.Millisecond)
		}
		switch {
		case !seen():
			t.Errorf("session %s: its sender did not look at it in %v", ss.id, wait)
		case ready:
			t.Errorf("session %s ready before it said notifications/initialized", ss.id)
		}
	}
	if len(early) != 0 {
		t.Fatalf("%d sent before notifications/initialized: %s", len(early), early)
	}
	w.write(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	var ids []string
	for _, m := range w.read(t, 2) {
		var n struct {
			Method string
			Params channelEvent
		}
		if err := json.Unmarshal(m, &n); err != nil || n.Method != ChannelMethod {
			t.Fatalf("after notifications/initialized: %s (%v)", m, err)
		}
		ids = append(ids, n.Params.Meta["message_id"])
	}
	w.write(t, `{"jsonrpc":"2.0","id":4,"method":"ping"}`)
	if more := w.until(t, "4"); len(more) != 0 {
		t.Errorf("more after the two: %s", more)
	}
	if ids[0] != before.ID || ids[1] != during.ID {
		t.Errorf("pushed %v, want [%s %s] in order", ids, before.ID, during.ID)
	}
}

// wire is a client of a server's stdio loop that speaks JSON-RPC lines
// itself, so a test decides what is sent when.
type wire struct {
	in    io.WriteCloser
	lines chan []byte // what the server wrote, one message each
}

// dialStdio serves a stdio session of srv over pipes, ended at clean-up.
func dialStdio(t *testing.T, srv *Server) *wire {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeStdio(context.Background(), inR, outW)
		outW.Close()
	}()
	w := &wire{in: inW, lines: make(chan []byte, 64)}
	go func() {
		defer close(w.lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			w.lines <- slices.Clone(sc.Bytes())
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		<-done
		for range w.lines {
		}
	})
	return w
}

func (w *wire) write(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(w.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// until reads until the answers to ids have come and returns the other
// messages read meanwhile.
func (w *wire) until(t *testing.T, ids ...string) []json.RawMessage {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var others []json.RawMessage
	for len(want) > 0 {
		b := w.next(t)
		var m struct{ ID json.RawMessage }
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if id := string(m.ID); m.ID != nil && want[id] {
			delete(want, id)
			continue
		}
		others = append(others, b)
	}
	return others
}

// read returns the next n messages the server wrote.
func (w *wire) read(t *testing.T, n int) []json.RawMessage {
	t.Helper()
	out := make([]json.RawMessage, n)
	for i := range out {
		out[i] = w.next(t)
	}
	return out
}

func (w *wire) next(t *testing.T) json.RawMessage {
	t.Helper()
	select {
	case b, ok := <-w.lines:
		if !ok {
			t.Fatal("the server ended the session")
		}
		return b
	case <-time.After(wait):
		t.Fatalf("nothing from the server in %v", wait)
		return nil
	}
}

func TestSessionServedAfterGrace(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", ReadyAfter: 50 * time.Millisecond})
	_, n := connect(t, srv)
	rc := send(t, sp.Root, "bob", "alice", "hello", "")
	l := n.Await(t, ChannelMethod, "a push to a client that never said initialized", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= 1 })
	if id := decodeChannel(t, l[0]).Meta["message_id"]; id != rc.ID {
		t.Errorf("pushed %s, want %s", id, rc.ID)
	}
}

func TestBacklogAnnouncedOnce(t *testing.T) {
	sp := openSpool(t, testConfig())
	for i := range 5 {
		send(t, sp.Root, "bob", "alice", fmt.Sprintf("old %d", i), "")
	}
	srv := startServer(t, sp, Options{Name: "alice", Backlog: 3})
	c, n := connect(t, srv)
	mustOK(t, c, "list_instances", nil)
	rc := send(t, sp.Root, "bob", "alice", "new", "")
	l := n.Await(t, ChannelMethod, "the notice and the new message", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= 2 })
	notice, fresh := decodeChannel(t, l[0]), decodeChannel(t, l[1])
	if !strings.Contains(notice.Content, "5 unread messages are waiting for alice") || notice.Meta["from"] != "ipc" {
		t.Errorf("notice %+v", notice)
	}
	if fresh.Meta["message_id"] != rc.ID || len(l) != 2 {
		t.Errorf("after the notice: %d pushes, second %+v", len(l), fresh)
	}
}

// TestBurstToSlowClient pushes 1,000 messages, sent by 8 writers at once,
// to a client that reads each notification slowly: the session's buffer
// fills, sends are refused, and every message must still arrive exactly
// once.
func TestBurstToSlowClient(t *testing.T) {
	c := testConfig()
	c.RatePerMinute = 0
	sp := openSpool(t, c)
	srv := startServer(t, sp, Options{Name: "alice"})
	cl, n := connect(t, srv)
	n.Delay = time.Millisecond
	mustOK(t, cl, "list_instances", nil)
	want := mcptest.Burst(t, sp.Root, c, 1000)
	mcptest.ExactlyOnce(t, n, want)
	_, _, refused := srv.hub.stats()
	t.Logf("%d sends refused and retried", refused)
}

// TestBacklogToSlowClient has the client become ready with 1,000 messages
// waiting: the pushes go out in a tight loop to a client slower than the
// server, whose writes then wait for it, and all must arrive exactly once.
func TestBacklogToSlowClient(t *testing.T) {
	c := testConfig()
	c.RatePerMinute = 0
	sp := openSpool(t, c)
	srv := startServer(t, sp, Options{Name: "alice", Backlog: 2000, ReadyAfter: time.Hour})
	cl, n := connect(t, srv)
	n.Delay = 200 * time.Microsecond
	want := mcptest.Burst(t, sp.Root, c, 1000)
	mustOK(t, cl, "list_instances", nil) // ready now
	mcptest.ExactlyOnce(t, n, want)
	if pushed, waiting, _ := srv.hub.stats(); pushed != 1000 || waiting != 0 {
		t.Errorf("%d counted pushed, %d waiting, for 1000 delivered", pushed, waiting)
	}
}

func TestResources(t *testing.T) {
	sp, srv, c, n := asAlice(t)
	ctx := context.Background()

	rl, err := c.ListResources(ctx, mcpgo.ListResourcesRequest{})
	if err != nil || len(rl.Resources) != 1 || rl.Resources[0].URI != statusURI {
		t.Fatalf("resources/list = %+v, %v", rl, err)
	}
	tl, err := c.ListResourceTemplates(ctx, mcpgo.ListResourceTemplatesRequest{})
	if err != nil || len(tl.ResourceTemplates) != 1 || tl.ResourceTemplates[0].URITemplate.Raw() != inboxTemplate {
		t.Fatalf("resources/templates/list = %+v, %v", tl, err)
	}

	rc := send(t, sp.Root, "bob", "alice", "peek at me", "")
	var in inbox
	readJSON(t, c, inboxURI("alice"), &in)
	if in.Name != "alice" || in.Unread != 1 || len(in.Messages) != 1 || in.Messages[0].ID != rc.ID {
		t.Errorf("inbox %+v", in)
	}
	if u := unread(t, sp, "alice"); u != 1 {
		t.Errorf("reading the inbox resource claimed mail: %d unread", u)
	}
	var st status
	readJSON(t, c, statusURI, &st)
	if st.Name != "alice" || st.Unread != 1 || st.Spool != sp.Root || len(st.Names) != 1 || !st.Names[0].Online {
		t.Errorf("status %+v", st)
	}
	var empty inbox
	readJSON(t, c, inboxURI("nobody"), &empty)
	if empty.Unread != 0 || len(empty.Messages) != 0 {
		t.Errorf("inbox of a name without mailbox: %+v", empty)
	}
	if _, err := c.ReadResource(ctx, mcpgo.ReadResourceRequest{Params: mcpgo.ReadResourceParams{URI: inboxURI("bad name")}}); err == nil {
		t.Error("reading the inbox of an invalid name succeeded")
	}

	// Subscriptions: to our inbox, and to another name's that does not
	// exist yet (watched once it does).
	for _, uri := range []string{inboxURI("alice"), inboxURI("carol"), statusURI} {
		//lint:ignore SA1019 resources/subscribe is how legacy-protocol clients subscribe
		if err := c.Subscribe(ctx, mcpgo.SubscribeRequest{Params: mcpgo.SubscribeParams{URI: uri}}); err != nil {
			t.Fatal(err)
		}
	}
	updated := func(uri string) func([]mcpgo.JSONRPCNotification) bool {
		return func(l []mcpgo.JSONRPCNotification) bool {
			for _, x := range l {
				if x.Params.AdditionalFields["uri"] == uri {
					return true
				}
			}
			return false
		}
	}
	send(t, sp.Root, "bob", "alice", "news", "")
	n.Await(t, "notifications/resources/updated", "alice's inbox updated", updated(inboxURI("alice")))
	n.Await(t, "notifications/resources/updated", "status updated", updated(statusURI))
	send(t, sp.Root, "bob", "carol", "for carol", "")
	n.Await(t, "notifications/resources/updated", "carol's inbox updated", updated(inboxURI("carol")))

	//lint:ignore SA1019 resources/unsubscribe is how legacy-protocol clients unsubscribe
	if err := c.Unsubscribe(ctx, mcpgo.UnsubscribeRequest{Params: mcpgo.UnsubscribeParams{URI: inboxURI("carol")}}); err != nil {
		t.Fatal(err)
	}
	if srv.feed().Follows("carol") {
		t.Error("carol's inbox still followed after unsubscribe")
	}
}

func readJSON(t *testing.T, c *client.Client, uri string, v any) {
	t.Helper()
	res, err := c.ReadResource(context.Background(), mcpgo.ReadResourceRequest{Params: mcpgo.ReadResourceParams{URI: uri}})
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	tc, ok := res.Contents[0].(mcpgo.TextResourceContents)
	if !ok || tc.MIMEType != "application/json" {
		t.Fatalf("read %s: %+v", uri, res.Contents)
	}
	if err := json.Unmarshal([]byte(tc.Text), v); err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
}

// TestHTTPTransport pushes over streamable HTTP to a client that only
// initialized: readiness comes from notifications/initialized.
func TestHTTPTransport(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", ReadyAfter: time.Hour, HTTPToken: testToken})
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)
	n := newNotes()
	c := mcptest.DialHTTP(t, hs.URL+"/mcp", testToken, true, n)
	initialize(t, c)
	rc := send(t, sp.Root, "bob", "alice", "over http", "")
	l := n.Await(t, ChannelMethod, "the push over HTTP", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= 1 })
	if ev := decodeChannel(t, l[0]); ev.Meta["message_id"] != rc.ID || !strings.HasSuffix(ev.Content, "]\nover http") {
		t.Errorf("push %+v", ev)
	}
	if got := mustOK(t, c, "check", map[string]any{"instance_id": "alice"}); !strings.Contains(got, "Content: over http") {
		t.Errorf("check over HTTP: %q", got)
	}
}

func TestHub(t *testing.T) {
	h := newHub()
	item := func(id string) *pushItem { return &pushItem{id: id} }
	a, b := newSession("a", 2), newSession("b", 2)

	h.offer(item("m0"))
	if len(a.drainCopy()) != 0 {
		t.Fatal("a session not ready was queued a push")
	}
	h.join(a)
	h.offer(item("m1"))
	h.offer(item("m1")) // the watcher's repeat
	if q := a.drainCopy(); len(q) != 1 || q[0].id != "m1" {
		t.Fatalf("ready session got %v, want [m1]", ids(q))
	}
	h.join(b)
	h.offer(item("m2"))
	if len(a.drainCopy()) != 2 || len(b.drainCopy()) != 1 {
		t.Fatal("m2 not queued for both ready sessions")
	}
	if _, waiting, _ := h.stats(); waiting != 3 {
		t.Errorf("%d waiting, want 3", waiting)
	}
	// a pushes m1: b, which never had it, is not affected; a does not get
	// it again.
	a.pop(a.queue[0])
	h.sent()
	h.offer(item("m1"))
	if q := b.drainCopy(); len(q) != 2 || q[1].id != "m1" {
		t.Errorf("b got %v, want [m2 m1]", ids(q))
	}
	if q := a.drainCopy(); len(q) != 1 || q[0].id != "m2" {
		t.Errorf("a got %v, want [m2]", ids(q))
	}
	// A session that left gets nothing more.
	h.leave(b)
	b.close()
	h.offer(item("m3"))
	if q := b.drainCopy(); len(q) != 0 {
		t.Errorf("a session that left was queued %v", ids(q))
	}
	// The known set forgets the oldest beyond its limit of 2: a has
	// m1, m2, m3, so m1 is forgotten.
	h.offer(item("m1"))
	if q := a.drainCopy(); q[len(q)-1].id != "m1" {
		t.Errorf("m1 still remembered beyond the limit: %v", ids(q))
	}
	if pushed, _, _ := h.stats(); pushed != 1 {
		t.Errorf("%d pushes counted, want 1", pushed)
	}
}

func ids(q []*pushItem) []string {
	var out []string
	for _, it := range q {
		out = append(out, it.id)
	}
	return out
}

// drainCopy returns a copy of the queue, for tests.
func (ss *session) drainCopy() []*pushItem {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]*pushItem(nil), ss.queue...)
}

// TestCatchUpQueuedAheadOfArrivals: what catch-up finds waiting goes
// ahead of an arrival offered while it listed the mailbox, even when that
// arrival is already being pushed (its pop still removes it), and is
// queued once.
func TestCatchUpQueuedAheadOfArrivals(t *testing.T) {
	ss := newSession("s", 100)
	arrival := &pushItem{id: "new"}
	ss.enqueue(arrival)
	inFlight, _ := ss.next()
	ss.enqueueFront([]*pushItem{{id: "old1"}, {id: "old2"}, {id: "new"}})
	ss.pop(inFlight)
	var got []string
	for {
		it, _ := ss.next()
		if it == nil {
			break
		}
		got = append(got, it.id)
		ss.pop(it)
	}
	if strings.Join(got, " ") != "old1 old2" {
		t.Errorf("queue after catch-up: %v, want old1 old2 (new was pushed)", got)
	}
}

// TestRescanPushesNothingTwice: after a rescan (what a kernel queue
// overflow sets off) the mail already pushed, and the backlog a notice
// summed up, are not pushed again, one by one or in another notice.
func TestRescanPushesNothingTwice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		waiting int
		want    int // pushes before the rescan: the messages, or one notice
	}{
		{"pushed one by one", 2, 2},
		{"summed up by a notice", 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := openSpool(t, testConfig())
			for i := range tc.waiting {
				send(t, sp.Root, "bob", "alice", fmt.Sprintf("old %d", i), "")
			}
			srv := startServer(t, sp, Options{Name: "alice", Backlog: 3})
			c, n := connect(t, srv)
			mustOK(t, c, "list_instances", nil)
			n.Await(t, ChannelMethod, "the backlog", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= tc.want })
			for round := range uint64(2) {
				srv.fol.Rescan()
				for srv.fol.Stats().Rescans <= round {
					time.Sleep(time.Millisecond)
				}
			}
			// Reports come in order: the rescans' before this arrival's.
			rc := send(t, sp.Root, "bob", "alice", "after the rescans", "")
			l := n.Await(t, ChannelMethod, "the arrival", func(l []mcpgo.JSONRPCNotification) bool {
				return len(l) > 0 && decodeChannel(t, l[len(l)-1]).Meta["message_id"] == rc.ID
			})
			if len(l) != tc.want+1 {
				var got []string
				for _, x := range l {
					got = append(got, decodeChannel(t, x).Content)
				}
				t.Errorf("%d pushes, want %d then the arrival: %q", len(l), tc.want, got)
			}
		})
	}
}

// TestInPlaceAtRegisterPushed: a file being written in place in new/
// when the name registers is neither pushed half-written nor forgotten:
// it is pushed once complete, once, on inotify and when polling.
func TestInPlaceAtRegisterPushed(t *testing.T) {
	for _, poll := range []bool{false, true} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) {
			sp := openSpool(t, testConfig())
			mb, err := sp.EnsureMailbox("alice")
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(filepath.Join(mb.NewDir(), "dropped-in-place"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("written in place, "); err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, sp, Options{Name: "alice", Poll: poll, PollInterval: 20 * time.Millisecond})
			c, n := connect(t, srv)
			mustOK(t, c, "list_instances", nil)
			// A session pushes nothing before its catch-up has listed the
			// mailbox: once this is pushed, only the watcher can find the
			// file.
			send(t, sp.Root, "bob", "alice", "before it", "")
			n.Await(t, ChannelMethod, "the arrival before it", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= 1 })
			if _, err := f.WriteString("then closed\n"); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			n.Await(t, ChannelMethod, "the file written in place", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= 2 })
			rc := send(t, sp.Root, "bob", "alice", "after it", "")
			l := n.Await(t, ChannelMethod, "the arrival after it", func(l []mcpgo.JSONRPCNotification) bool {
				return len(l) > 0 && decodeChannel(t, l[len(l)-1]).Meta["message_id"] == rc.ID
			})
			if got := decodeChannel(t, l[1]).Content; !strings.HasSuffix(got, "written in place, then closed") || len(l) != 3 {
				t.Errorf("%d pushes, the second %q; want the arrival before, the whole file once, the arrival after", len(l), got)
			}
		})
	}
}
