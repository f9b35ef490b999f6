// Package mcptest holds helpers that the tests of the MCP server and of
// the ipc command share: an MCP client wired to collect the notifications
// it receives, the channel events those carry, and a burst of mail from
// several writers whose pushes must each arrive exactly once.
//
// It is for tests only; nothing in the ipc command uses it. Every wait it
// does has a deadline, and a helper that fails ends the test.
package mcptest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/spool"
)

// ChannelMethod is the method of the notification that pushes mail to a
// client, as the design names it.
const ChannelMethod = "notifications/claude/channel"

// Notes collects the notifications a client receives. Make one with
// NewNotes.
type Notes struct {
	// Delay makes a slow reader: Add sleeps this long per notification.
	// Set it before the first notification can arrive.
	Delay time.Duration

	limit  time.Duration
	mu     sync.Mutex
	list   []mcpgo.JSONRPCNotification
	signal chan struct{}
}

// NewNotes returns an empty Notes whose waits fail after limit.
func NewNotes(limit time.Duration) *Notes {
	return &Notes{limit: limit, signal: make(chan struct{}, 1)}
}

// Add records x; it is the client's notification handler.
func (n *Notes) Add(x mcpgo.JSONRPCNotification) {
	if n.Delay > 0 {
		time.Sleep(n.Delay)
	}
	n.mu.Lock()
	n.list = append(n.list, x)
	n.mu.Unlock()
	select {
	case n.signal <- struct{}{}:
	default:
	}
}

// Of returns the notifications with the given method so far.
func (n *Notes) Of(method string) []mcpgo.JSONRPCNotification {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []mcpgo.JSONRPCNotification
	for _, x := range n.list {
		if x.Method == method {
			out = append(out, x)
		}
	}
	return out
}

// Await waits until ok holds for the notifications with method and
// returns them, failing the test, which waited for what, after the limit.
func (n *Notes) Await(t testing.TB, method, what string, ok func([]mcpgo.JSONRPCNotification) bool) []mcpgo.JSONRPCNotification {
	t.Helper()
	deadline := time.After(n.limit)
	for {
		if got := n.Of(method); ok(got) {
			return got
		}
		select {
		case <-n.signal:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waiting for %s: got %d %s notifications", what, len(n.Of(method)), method)
		}
	}
}

// Channel waits for at least want channel events and returns them all,
// decoded.
func (n *Notes) Channel(t testing.TB, want int) []ChannelEvent {
	t.Helper()
	l := n.Await(t, ChannelMethod, fmt.Sprintf("%d channel events", want), func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= want })
	evs := make([]ChannelEvent, len(l))
	for i, x := range l {
		evs[i] = DecodeChannel(t, x)
	}
	return evs
}

// ChannelEvent is the params of a channel notification.
type ChannelEvent struct {
	Content string            `json:"content"`
	Meta    map[string]string `json:"meta"`
}

// DecodeChannel returns the params of x, failing the test if they are not
// a ChannelEvent.
func DecodeChannel(t testing.TB, x mcpgo.JSONRPCNotification) ChannelEvent {
	t.Helper()
	b, err := json.Marshal(x.Params.AdditionalFields)
	if err != nil {
		t.Fatal(err)
	}
	var ev ChannelEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("channel params %s: %v", b, err)
	}
	return ev
}

// Start has c deliver its notifications to n and starts it; c is closed
// when the test ends.
func Start(t testing.TB, c *client.Client, n *Notes) {
	t.Helper()
	c.OnNotification(n.Add)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
}

// DialHTTP connects to the server at url over streamable HTTP with the
// bearer token, with the GET stream that carries notifications when
// listen is set, and starts the client with Start. It does not
// initialize.
func DialHTTP(t testing.TB, url, token string, listen bool, n *Notes, opts ...transport.StreamableHTTPCOption) *client.Client {
	t.Helper()
	if listen {
		//lint:ignore SA1019 today's Claude Code speaks the legacy protocol, whose notifications come on the GET stream
		opts = append(opts, transport.WithContinuousListening())
	}
	c, err := client.NewStreamableHttpClient(url, append(opts, Bearer(token))...)
	if err != nil {
		t.Fatal(err)
	}
	Start(t, c, n)
	return c
}

// Bearer passes token on every request.
func Bearer(token string) transport.StreamableHTTPCOption {
	return transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token})
}

// Initialize does the handshake of today's Claude Code on c (the legacy
// protocol version, pinned) as the client who, failing the test if it
// does not succeed within limit.
func Initialize(t testing.TB, c *client.Client, who mcpgo.Implementation, limit time.Duration) *mcpgo.InitializeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	res, err := c.Initialize(ctx, mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{
		ProtocolVersion: mcpgo.LATEST_LEGACY_PROTOCOL_VERSION,
		ClientInfo:      who,
	}})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return res
}

// Burst sends total messages to alice from 8 writers at once, each with
// its own Spool on root opened with c, and returns their ids.
func Burst(t testing.TB, root string, c spool.Config, total int) map[string]bool {
	t.Helper()
	const writers = 8
	ids := make(chan string, total)
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			sender, err := spool.Open(root, spool.WithConfig(c))
			if err != nil {
				errs <- err
				return
			}
			for i := w; i < total; i += writers {
				rc, err := sender.Send(spool.Draft{From: fmt.Sprintf("bob%d", w), To: []string{"alice"}, Body: fmt.Sprintf("burst %d", i)})
				if err != nil {
					errs <- err
					return
				}
				ids <- rc.ID
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(ids)
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	return want
}

// ExactlyOnce waits for a channel event for every id in want and checks
// that none came twice and nothing else came.
func ExactlyOnce(t testing.TB, n *Notes, want map[string]bool) {
	t.Helper()
	evs := n.Channel(t, len(want))
	seen := map[string]int{}
	for _, ev := range evs {
		seen[ev.Meta["message_id"]]++
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("message %s pushed %d times", id, seen[id])
		}
	}
	if len(evs) != len(want) {
		t.Errorf("%d pushes for %d messages", len(evs), len(want))
	}
}
