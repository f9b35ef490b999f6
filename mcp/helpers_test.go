package mcp

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/spool"
)

// wait bounds how long a test waits for something that should happen at
// once; it is a deadline against hangs, not a measure of speed.
const wait = 10 * time.Second

// testConfig is the spool configuration of the tests: the defaults, no
// secret from the environment.
func testConfig() spool.Config {
	c := spool.DefaultConfig()
	c.Secret = ""
	return c
}

// openSpool opens a fresh spool in a temporary directory.
func openSpool(t *testing.T, c spool.Config) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// startServer starts a Server on sp, closed when the test ends.
func startServer(t *testing.T, sp *spool.Spool, o Options) *Server {
	t.Helper()
	srv, err := New(sp, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return srv
}

// notes collects the notifications a client receives.
type notes struct {
	mu     sync.Mutex
	list   []mcpgo.JSONRPCNotification
	signal chan struct{}
	delay  time.Duration // a slow reader: sleep this long per notification
}

func newNotes() *notes { return &notes{signal: make(chan struct{}, 1)} }

func (n *notes) add(x mcpgo.JSONRPCNotification) {
	if n.delay > 0 {
		time.Sleep(n.delay)
	}
	n.mu.Lock()
	n.list = append(n.list, x)
	n.mu.Unlock()
	select {
	case n.signal <- struct{}{}:
	default:
	}
}

// of returns the notifications with the given method so far.
func (n *notes) of(method string) []mcpgo.JSONRPCNotification {
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

// await waits until ok holds for the notifications with method, failing
// the test after the deadline.
func (n *notes) await(t *testing.T, method string, what string, ok func([]mcpgo.JSONRPCNotification) bool) []mcpgo.JSONRPCNotification {
	t.Helper()
	deadline := time.After(wait)
	for {
		if got := n.of(method); ok(got) {
			return got
		}
		select {
		case <-n.signal:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waiting for %s: got %d %s notifications", what, len(n.of(method)), method)
		}
	}
}

// channelEvent is the params of a notifications/claude/channel.
type channelEvent struct {
	Content string            `json:"content"`
	Meta    map[string]string `json:"meta"`
}

func decodeChannel(t *testing.T, x mcpgo.JSONRPCNotification) channelEvent {
	t.Helper()
	b, err := json.Marshal(x.Params.AdditionalFields)
	if err != nil {
		t.Fatal(err)
	}
	var ev channelEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("channel params %s: %v", b, err)
	}
	return ev
}

// connect starts an in-process client on srv, initialized the way today's
// Claude Code does (the legacy handshake, pinned), collecting notifications.
func connect(t *testing.T, srv *Server) (*client.Client, *notes) {
	t.Helper()
	c, n := connectUninitialized(t, srv)
	initialize(t, c)
	return c, n
}

func connectUninitialized(t *testing.T, srv *Server) (*client.Client, *notes) {
	t.Helper()
	c, err := client.NewInProcessClient(srv.MCPServer())
	if err != nil {
		t.Fatal(err)
	}
	n := newNotes()
	c.OnNotification(n.add)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, n
}

func initialize(t *testing.T, c *client.Client) *mcpgo.InitializeResult {
	t.Helper()
	res, err := c.Initialize(context.Background(), mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{
		ProtocolVersion: mcpgo.LATEST_LEGACY_PROTOCOL_VERSION,
		ClientInfo:      mcpgo.Implementation{Name: "ipc-test", Version: "1"},
	}})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return res
}

// call calls a tool and returns its result, failing on a protocol error.
func call(t *testing.T, c *client.Client, name string, args map[string]any) *mcpgo.CallToolResult {
	t.Helper()
	res, err := c.CallTool(context.Background(), mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: name, Arguments: args}})
	if err != nil {
		t.Fatalf("%s(%v): protocol error %v", name, args, err)
	}
	return res
}

// text returns the text content of a result.
func text(res *mcpgo.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// mustOK calls a tool that must succeed and returns its text.
func mustOK(t *testing.T, c *client.Client, name string, args map[string]any) string {
	t.Helper()
	res := call(t, c, name, args)
	if res.IsError {
		t.Fatalf("%s(%v) failed: %s", name, args, text(res))
	}
	return text(res)
}

// mustFail calls a tool that must fail with a tool error mentioning want.
func mustFail(t *testing.T, c *client.Client, name string, args map[string]any, want string) string {
	t.Helper()
	res := call(t, c, name, args)
	if !res.IsError {
		t.Fatalf("%s(%v) succeeded, want an error: %s", name, args, text(res))
	}
	if !strings.Contains(text(res), want) {
		t.Fatalf("%s(%v) error %q does not say %q", name, args, text(res), want)
	}
	return text(res)
}

// structured decodes a result's structured content into v.
func structured(t *testing.T, res *mcpgo.CallToolResult, v any) {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
}

// send delivers a message the way another process would: through a second
// Spool on the same root.
func send(t *testing.T, root, from, to, body string, data string) spool.Receipt {
	t.Helper()
	sp, err := spool.Open(root, spool.WithConfig(testConfig()))
	if err != nil {
		t.Fatal(err)
	}
	d := spool.Draft{From: from, To: []string{to}, Body: body}
	if data != "" {
		d.Data = json.RawMessage(data)
	}
	rc, err := sp.Send(d)
	if err != nil {
		t.Fatalf("send %s → %s: %v", from, to, err)
	}
	return rc
}
