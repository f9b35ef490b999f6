package mcp

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcptest"
)

// testToken is the bearer token of the tests' HTTP servers.
const testToken = "0123456789abcdef0123456789abcdef"

// httpClient connects to the server at url over streamable HTTP, with the
// bearer token, and with the GET stream that carries notifications when
// listen is set.
func httpClient(t *testing.T, url string, listen bool) (*client.Client, *notes) {
	t.Helper()
	n := newNotes()
	c := mcptest.DialHTTP(t, url, testToken, listen, n)
	initialize(t, c)
	return c, n
}

// TestHTTPReconnectGetsMailTheDeadSessionSwallowed has a session that
// stops taking in what it is sent without ending (no DELETE; a client
// hung, or a connection half open): what the server pushed to it never
// reached anyone. A new session must get that mail, still unread, and the
// mail that comes after, once each.
func TestHTTPReconnectGetsMailTheDeadSessionSwallowed(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", HTTPToken: testToken})
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)

	dead, _ := httpClient(t, hs.URL+"/mcp", true)
	hung := make(chan struct{})
	dead.OnNotification(func(mcpgo.JSONRPCNotification) { <-hung })
	t.Cleanup(func() { close(hung) }) // runs before the client is closed
	mustOK(t, dead, "list_instances", nil)
	lost := send(t, sp.Root, "bob", "alice", "pushed to a session nobody hears", "")
	deadline := time.Now().Add(wait)
	for pushed, _, _ := srv.hub.stats(); pushed == 0; pushed, _, _ = srv.hub.stats() {
		if time.Now().After(deadline) {
			t.Fatal("nothing pushed to the first session")
		}
		time.Sleep(5 * time.Millisecond)
	}

	live, n := httpClient(t, hs.URL+"/mcp", true)
	mustOK(t, live, "list_instances", nil)
	awaitPush(t, n, lost.ID)
	after := send(t, sp.Root, "bob", "alice", "after the reconnect", "")
	awaitPush(t, n, after.ID)
	for id, k := range pushedIDs(t, n) {
		if k != 1 {
			t.Errorf("message %s pushed %d times to the new session", id, k)
		}
	}
}

// TestWaitedMailNotAlsoPushed has mail arrive while wait is blocked: wait
// returns it, and it is not pushed as well.
func TestWaitedMailNotAlsoPushed(t *testing.T) {
	c := testConfig()
	c.RatePerMinute = 0
	sp := openSpool(t, c)
	srv := startServer(t, sp, Options{Name: "alice"})
	cl, n := connect(t, srv)
	mustOK(t, cl, "list_instances", nil) // ready
	waited := map[string]bool{}
	for i := range 20 {
		got := make(chan string, 1)
		go func() {
			res, err := cl.CallTool(context.Background(), toolRequest("wait", map[string]any{"timeout_seconds": wait.Seconds()}))
			if err != nil {
				got <- err.Error()
				return
			}
			got <- text(res)
		}()
		awaitWaiting(t, srv)
		rc := send(t, sp.Root, "bob", "alice", fmt.Sprintf("waited %d", i), "")
		if s := <-got; !strings.Contains(s, "ID: "+rc.ID) {
			t.Fatalf("wait returned %q, not %s", s, rc.ID)
		}
		waited[rc.ID] = true
	}
	// Pushes go out in order: once a later message is pushed, any push of
	// the waited ones would have come.
	last := send(t, sp.Root, "bob", "alice", "not waited for", "")
	awaitPush(t, n, last.ID)
	for id := range pushedIDs(t, n) {
		if waited[id] {
			t.Errorf("message %s was returned by wait and pushed too", id)
		}
	}
}

// awaitWaiting waits until a wait call is blocked in srv.
func awaitWaiting(t *testing.T, srv *Server) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for srv.agent.waiting() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("wait did not start")
		}
		time.Sleep(time.Millisecond)
	}
}

func toolRequest(name string, args map[string]any) mcpgo.CallToolRequest {
	return mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: name, Arguments: args}}
}
