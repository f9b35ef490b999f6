package mcpserver

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`

func post(t *testing.T, url, session, body string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set(HeaderSessionID, session)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func do(t *testing.T, method, url, session string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if session != "" {
		req.Header.Set(HeaderSessionID, session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestHTTPSessions walks a session's life over streamable HTTP and the
// status codes of what goes wrong.
func TestHTTPSessions(t *testing.T) {
	reg, unreg := make(chan *Session, 1), make(chan *Session, 1)
	s := testServer(1<<16, Hooks{Register: func(ss *Session) { reg <- ss }, Unregister: func(ss *Session) { unreg <- ss }})
	hs := httptest.NewServer(s.HTTPHandler(HTTPOptions{Heartbeat: time.Hour}))
	t.Cleanup(hs.Close)
	t.Cleanup(s.CloseSessions)

	resp := post(t, hs.URL, "", initBody)
	id := resp.Header.Get(HeaderSessionID)
	if resp.StatusCode != http.StatusOK || id == "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("initialize: %d, session %q, %s", resp.StatusCode, id, resp.Header.Get("Content-Type"))
	}
	if ss := <-reg; ss.ID() != id {
		t.Fatalf("registered %s, answered %s", ss.ID(), id)
	}
	for _, tt := range []struct {
		name, session, body string
		header              []string
		want                int
	}{
		{"ping", id, `{"jsonrpc":"2.0","id":2,"method":"ping"}`, nil, http.StatusOK},
		{"a notification", id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil, http.StatusAccepted},
		{"a response", "", `{"jsonrpc":"2.0","id":9,"result":{}}`, nil, http.StatusAccepted},
		{"no session", "", `{"jsonrpc":"2.0","id":3,"method":"ping"}`, nil, http.StatusBadRequest},
		{"unknown session", "mcp-session-nope", `{"jsonrpc":"2.0","id":4,"method":"ping"}`, nil, http.StatusNotFound},
		{"not JSON", id, `{`, nil, http.StatusBadRequest},
		{"not JSON content", id, `{"jsonrpc":"2.0","id":5,"method":"ping"}`, []string{"Content-Type", "text/plain"}, http.StatusBadRequest},
		{"unknown protocol version", id, `{"jsonrpc":"2.0","id":6,"method":"ping"}`, []string{"Mcp-Protocol-Version", "1999-01-01"}, http.StatusBadRequest},
		{"known protocol version", id, `{"jsonrpc":"2.0","id":7,"method":"ping"}`, []string{"Mcp-Protocol-Version", "2025-06-18"}, http.StatusOK},
		{"too large", id, `{"jsonrpc":"2.0","id":8,"method":"ping","params":{"x":"` + strings.Repeat("x", 1<<16) + `"}}`, nil, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(t, hs.URL, tt.session, tt.body, tt.header...).StatusCode; got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
	if got := do(t, http.MethodPut, hs.URL, id).StatusCode; got != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", got)
	}
	if got := do(t, http.MethodGet, hs.URL, "").StatusCode; got != http.StatusBadRequest {
		t.Errorf("GET without a session: %d", got)
	}

	// Notify waits for a GET stream, then is written to it.
	if err := s.Notify(id, "notifications/x", nil); !errors.Is(err, ErrNoStream) {
		t.Errorf("Notify with no stream open: %v", err)
	}
	stream := do(t, http.MethodGet, hs.URL, id)
	if stream.StatusCode != http.StatusOK || stream.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET: %d %s", stream.StatusCode, stream.Header.Get("Content-Type"))
	}
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- d
			}
		}
		close(events)
	}()
	deadline := time.Now().Add(wait)
	for {
		err := s.Notify(id, "notifications/x", map[string]any{"n": 1})
		if err == nil {
			break
		}
		if !errors.Is(err, ErrNoStream) || time.Now().After(deadline) {
			t.Fatalf("Notify with a stream open: %v", err)
		}
		time.Sleep(time.Millisecond) // the GET is still being set up
	}
	var n struct {
		Method string `json:"method"`
		Params struct{ N int }
	}
	if err := json.Unmarshal([]byte(<-events), &n); err != nil || n.Method != "notifications/x" || n.Params.N != 1 {
		t.Errorf("event %+v %v", n, err)
	}

	// DELETE ends the session: its stream closes, it is unknown after.
	if got := do(t, http.MethodDelete, hs.URL, id).StatusCode; got != http.StatusOK {
		t.Errorf("DELETE: %d", got)
	}
	if ss := <-unreg; ss.ID() != id {
		t.Errorf("unregistered %s", ss.ID())
	}
	if _, ok := <-events; ok {
		t.Error("the stream stayed open after DELETE")
	}
	_, _ = io.Copy(io.Discard, stream.Body)
	if got := post(t, hs.URL, id, `{"jsonrpc":"2.0","id":10,"method":"ping"}`).StatusCode; got != http.StatusNotFound {
		t.Errorf("a request of the ended session: %d", got)
	}
}

// A session with nothing open and no request for longer than IdleTTL
// ends when the next one starts.
func TestHTTPIdleSessionsEnd(t *testing.T) {
	unreg := make(chan *Session, 1)
	s := testServer(0, Hooks{Unregister: func(ss *Session) { unreg <- ss }})
	hs := httptest.NewServer(s.HTTPHandler(HTTPOptions{IdleTTL: time.Millisecond}))
	t.Cleanup(hs.Close)
	t.Cleanup(s.CloseSessions)
	old := post(t, hs.URL, "", initBody).Header.Get(HeaderSessionID)
	time.Sleep(5 * time.Millisecond)
	post(t, hs.URL, "", initBody)
	select {
	case ss := <-unreg:
		if ss.ID() != old {
			t.Errorf("ended %s, not the idle %s", ss.ID(), old)
		}
	case <-time.After(wait):
		t.Fatal("the idle session did not end")
	}
}

// longBody is a request body of n bytes, counting what was read.
type longBody struct{ n, read int64 }

func (b *longBody) Read(p []byte) (int, error) {
	if b.read >= b.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.n-b.read)]
	for i := range p {
		p[i] = 'x'
	}
	b.read += int64(len(p))
	return len(p), nil
}

// TestHTTPStopsReadingATooLargeBody posts a body far over MaxMessage: it
// is refused with 413, answering its id, having read little more than
// the limit (the transport itself bounds what it holds, wrapped or not).
func TestHTTPStopsReadingATooLargeBody(t *testing.T) {
	const max = 1 << 16
	s := testServer(max, Hooks{})
	body := &longBody{n: 64 * max}
	req := httptest.NewRequest(http.MethodPost, "/mcp", io.MultiReader(strings.NewReader(`{"jsonrpc":"2.0","id":8,"method":"ping","params":{"x":"`), body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.HTTPHandler(HTTPOptions{}).ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"id":8`) {
		t.Errorf("status %d, %s; want 413 answering id 8", rec.Code, rec.Body)
	}
	if body.read > 2*max {
		t.Errorf("read %d bytes of a %d-byte body over the %d-byte limit", body.read, body.n, max)
	}
}
