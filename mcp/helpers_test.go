package mcp

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcptest"
	"github.com/claude-ipc/ipc/internal/platform"
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
func openSpool(t testing.TB, c spool.Config) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// startServer starts a Server on sp, closed when the test ends.
func startServer(t testing.TB, sp *spool.Spool, o Options) *Server {
	t.Helper()
	srv := startUnclosed(t, sp, o)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return srv
}

// startUnclosed starts a Server on sp that the test must close itself.
func startUnclosed(t testing.TB, sp *spool.Spool, o Options) *Server {
	t.Helper()
	srv, err := New(sp, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return srv
}

// notes collects the notifications a client receives.
type notes = mcptest.Notes

func newNotes() *notes { return mcptest.NewNotes(wait) }

// channelEvent is the params of a notifications/claude/channel.
type channelEvent = mcptest.ChannelEvent

func decodeChannel(t *testing.T, x mcpgo.JSONRPCNotification) channelEvent {
	t.Helper()
	return mcptest.DecodeChannel(t, x)
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
	c := inProcess(t, srv)
	n := newNotes()
	mcptest.Start(t, c, n)
	return c, n
}

// inProcess returns a client of srv in this process: the server's stdio
// loop over pipes, a session of its own, ended when the client is closed
// (the server's side is waited for at the end of the test).
func inProcess(t testing.TB, srv *Server) *client.Client {
	t.Helper()
	toServer, clientOut := io.Pipe()
	clientIn, fromServer := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeStdio(context.Background(), toServer, fromServer)
		fromServer.Close()
		toServer.Close()
	}()
	t.Cleanup(func() { clientOut.Close(); <-done })
	return client.NewClient(transport.NewIO(clientIn, clientOut, io.NopCloser(strings.NewReader(""))))
}

// asAlice starts a Server for alice on a fresh spool and connects a
// client to it.
func asAlice(t *testing.T) (*spool.Spool, *Server, *client.Client, *notes) {
	t.Helper()
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice"})
	c, n := connect(t, srv)
	return sp, srv, c, n
}

func initialize(t *testing.T, c *client.Client) *mcpgo.InitializeResult {
	t.Helper()
	return mcptest.Initialize(t, c, mcpgo.Implementation{Name: "ipc-test", Version: "1"}, wait)
}

// unread returns how many unread messages name has, failing the test if
// the count cannot be had.
func unread(t *testing.T, sp *spool.Spool, name string) int {
	t.Helper()
	mb, err := sp.Mailbox(name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := mb.Unread()
	if err != nil {
		t.Fatal(err)
	}
	return n
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

// syncDir makes a directory's entries durable.
func syncDir(dir string) error { return platform.SyncDir(dir) }
