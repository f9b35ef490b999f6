package mcp

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
	"github.com/claude-ipc/ipc/internal/mcptest"
	"github.com/claude-ipc/ipc/spool"
)

// stdioClient connects a client to srv's stdio loop over pipes: JSON on
// a byte stream, as Claude Code speaks to 'ipc mcp'.
func stdioClient(b *testing.B, srv *Server) *client.Client {
	toServer, clientOut := io.Pipe()
	clientIn, fromServer := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeStdio(ctx, toServer, fromServer)
	}()
	b.Cleanup(func() { cancel(); clientOut.Close(); fromServer.Close(); <-done })
	c := client.NewClient(transport.NewIO(clientIn, clientOut, io.NopCloser(strings.NewReader(""))))
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	mcptest.Initialize(b, c, mcpgo.Implementation{Name: "bench", Version: "1"}, wait)
	return c
}

// BenchmarkSendStdio measures the send tool called through a client over
// the stdio transport (register once, then one durable send per call)
// against the bare write+fsync+rename+fsync of the same message's bytes
// in the same run. Reported: sends/s ÷ bare deliveries/s.
func BenchmarkSendStdio(b *testing.B) {
	cfg := testConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	sp := openSpool(b, cfg)
	srv := startServer(b, sp, Options{ReadyAfter: time.Millisecond})
	c := stdioClient(b, srv)
	ctx := context.Background()
	callTool := func(name string, args map[string]any) {
		req := mcpgo.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("%s: %v %v", name, err, res)
		}
	}
	callTool("register", map[string]any{"instance_id": "alice"})
	body := "build finished: all green"
	args := map[string]any{"from_id": "alice", "to_id": "bob", "content": body}
	callTool("send", args)
	mb, _ := sp.Mailbox("bob")
	ents, _ := os.ReadDir(mb.NewDir())
	if len(ents) == 0 {
		b.Fatal("the first send left nothing in new/")
	}
	data, err := os.ReadFile(filepath.Join(mb.NewDir(), ents[0].Name()))
	if err != nil {
		b.Fatal(err)
	}
	bare := b.TempDir()
	for _, d := range []string{"tmp", "new"} {
		os.MkdirAll(filepath.Join(bare, d), 0o700)
	}
	var tBare, tSend time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if err := bareop.Deliver(bare, fmt.Sprint(i), data); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		callTool("send", args)
		tBare += t1.Sub(t0)
		tSend += time.Since(t1)
	}
	b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(tSend.Nanoseconds())/float64(b.N), "send-ns/op")
	b.ReportMetric(float64(tBare)/float64(tSend), "send/bare-throughput")
}

// BenchmarkSendStdioConcurrent measures 8 agents sending at once into one
// mailbox, each its own server and spool (as 8 'ipc mcp' processes are)
// with a client over the stdio transport, against the single bare writer
// of the same bytes in the same run, in alternating rounds of 64
// messages. Reported: messages/s of the 8 ÷ messages/s of the bare writer.
func BenchmarkSendStdioConcurrent(b *testing.B) {
	const agents, round = 8, 64
	cfg := testConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	root := openSpool(b, cfg).Root
	ctx := context.Background()
	calls := make([]func(map[string]any), agents)
	for g := range agents {
		sp, err := spool.Open(root, spool.WithConfig(cfg))
		if err != nil {
			b.Fatal(err)
		}
		srv := startServer(b, sp, Options{ReadyAfter: time.Millisecond})
		c := stdioClient(b, srv)
		calls[g] = func(args map[string]any) {
			req := mcpgo.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = "send", args
			if _, ok := args["instance_id"]; ok {
				req.Params.Name = "register"
			}
			res, err := c.CallTool(ctx, req)
			if err != nil || res.IsError {
				b.Errorf("%s: %v %v", req.Params.Name, err, res)
			}
		}
		calls[g](map[string]any{"instance_id": fmt.Sprintf("agent%d", g)})
	}
	data := []byte(strings.Repeat("x", 400)) // about a formatted message's size
	bare := b.TempDir()
	for _, d := range []string{"tmp", "new"} {
		os.MkdirAll(filepath.Join(bare, d), 0o700)
	}
	var tBare, tSend time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		for i := range round {
			if err := bareop.Deliver(bare, fmt.Sprint(n+i), data); err != nil {
				b.Fatal(err)
			}
		}
		n += round
		t1 := time.Now()
		var wg sync.WaitGroup
		for g := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				args := map[string]any{"from_id": fmt.Sprintf("agent%d", g), "to_id": "bob", "content": "build finished: all green"}
				for range round / agents {
					calls[g](args)
				}
			}()
		}
		wg.Wait()
		tBare += t1.Sub(t0)
		tSend += time.Since(t1)
	}
	b.ReportMetric(float64(tBare)/float64(tSend), "sends/bare-throughput")
}
