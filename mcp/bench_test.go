package mcp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
	"github.com/claude-ipc/ipc/internal/latency"
	"github.com/claude-ipc/ipc/internal/mcptest"
	"github.com/claude-ipc/ipc/spool"
)

// senderEnv makes the test binary a mail sender for the benchmark: a
// separate process that delivers one message per line of stdin.
const senderEnv = "IPC_BENCH_SENDER"

func TestMain(m *testing.M) {
	if root := os.Getenv(senderEnv); root != "" {
		if err := benchSender(root, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// benchSender delivers a message to alice for each line read, the durable
// Maildir way (write tmp/, fsync, rename into new/, fsync new/), and
// writes "ID RENAME_START_UNIX_NANOS RENAME_NANOS": when the rename began,
// by the wall clock both processes share, and how long the bare rename
// took.
func benchSender(root string, in io.Reader, out io.Writer) error {
	sp, err := spool.Open(root)
	if err != nil {
		return err
	}
	mb, err := sp.Mailbox("alice")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	for seq := 0; sc.Scan(); seq++ {
		var raw [6]byte
		rand.Read(raw[:])
		id := hex.EncodeToString(raw[:])
		now := time.Now()
		m := &spool.Message{ID: id, From: "bob", To: []string{"alice"}, Date: now, Subject: "bench", Body: "bench " + id}
		data := m.Format(sp.Host())
		name := fmt.Sprintf("%d.M%06dP%dQ%dR%s.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), seq, id, sp.Host())
		tmp := filepath.Join(mb.Dir, "tmp", name)
		dst := filepath.Join(mb.Dir, "new", fmt.Sprintf("%s,S=%d", name, len(data)))
		if err := bareop.WriteSynced(tmp, data); err != nil {
			return err
		}
		start := time.Now()
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
		took := time.Since(start)
		if err := syncDir(filepath.Dir(dst)); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s %d %d\n", id, start.UnixNano(), took.Nanoseconds())
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

// BenchmarkPushLatency measures how long mail takes from a separate
// process's durable delivery (the rename into new/) to the channel event
// the client receives, one message at a time, and compares it with the
// bare rename measured in the same run. Reported: p50 and p99 of both,
// and the p50 ratio.
func BenchmarkPushLatency(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		benchPush(b, func(b *testing.B, srv *Server) *client.Client {
			return inProcess(b, srv)
		})
	})
	b.Run("stdio", func(b *testing.B) {
		benchPush(b, func(b *testing.B, srv *Server) *client.Client {
			// The server's stdio loop over pipes: JSON on a byte stream,
			// as Claude Code reads it.
			toServer, clientOut := io.Pipe()
			clientIn, fromServer := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				srv.ServeStdio(ctx, toServer, fromServer)
			}()
			b.Cleanup(func() { cancel(); clientOut.Close(); fromServer.Close(); <-done })
			return client.NewClient(transport.NewIO(clientIn, clientOut, io.NopCloser(strings.NewReader(""))))
		})
	})
}

func benchPush(b *testing.B, dial func(*testing.B, *Server) *client.Client) {
	sp := openSpool(b, testConfig())
	srv := startServer(b, sp, Options{Name: "alice", ReadyAfter: time.Millisecond})
	cl := dial(b, srv)
	arrived := make(chan pushArrival, 16)
	cl.OnNotification(func(n mcpgo.JSONRPCNotification) {
		if n.Method != ChannelMethod {
			return
		}
		at := time.Now()
		switch meta := n.Params.AdditionalFields["meta"].(type) {
		case map[string]string: // in process: the server's own value
			arrived <- pushArrival{id: meta["message_id"], at: at}
		case map[string]any: // decoded from JSON
			id, _ := meta["message_id"].(string)
			arrived <- pushArrival{id: id, at: at}
		}
	})
	if err := cl.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cl.Close() })
	mcptest.Initialize(b, cl, mcpgo.Implementation{Name: "bench", Version: "1"}, wait)
	if _, err := cl.ListTools(context.Background(), mcpgo.ListToolsRequest{}); err != nil { // ready
		b.Fatal(err)
	}

	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	sender := exec.Command(self)
	sender.Env = append(os.Environ(), senderEnv+"="+sp.Root)
	sender.Stderr = os.Stderr
	toSender, _ := sender.StdinPipe()
	fromSender, _ := sender.StdoutPipe()
	if err := sender.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { toSender.Close(); sender.Wait() })
	lines := bufio.NewScanner(fromSender)

	var push, rename []time.Duration
	b.ResetTimer()
	for range b.N {
		fmt.Fprintln(toSender, "go")
		if !lines.Scan() {
			b.Fatalf("sender stopped: %v", lines.Err())
		}
		f := strings.Fields(lines.Text())
		start, _ := strconv.ParseInt(f[1], 10, 64)
		took, _ := strconv.ParseInt(f[2], 10, 64)
		select {
		case a := <-arrived:
			if a.id != f[0] {
				b.Fatalf("pushed %s, sent %s", a.id, f[0])
			}
			push = append(push, a.at.Sub(time.Unix(0, start)))
			rename = append(rename, time.Duration(took))
		case <-time.After(10 * time.Second):
			b.Fatalf("message %s never pushed", f[0])
		}
	}
	b.StopTimer()
	ps, rs := latency.Summarize(push), latency.Summarize(rename)
	ps.Report(b, "push-")
	rs.Report(b, "rename-")
	if rs.P50 > 0 {
		b.ReportMetric(float64(ps.P50)/float64(rs.P50), "p50-x-rename")
	}
}

type pushArrival struct {
	id string
	at time.Time
}
