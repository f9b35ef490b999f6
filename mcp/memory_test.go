package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// A send's content is held as the request line and as the one string
// decoded from it, and copied no further: reading the line (in pieces,
// joined once), decoding it and storing the text in large/ allocate about
// three times the content, where they allocated ten times and more.
func TestSendCopiesContentOnce(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice"})
	inW, outR := serveStdioPipes(t, srv)
	lines := bufio.NewReader(outR)
	ask := func(line []byte) string {
		t.Helper()
		go inW.Write(line)
		answer, err := lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return answer
	}
	ask([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}` + "\n"))
	const size = 24 << 20
	content := strings.Repeat("x", size-1) + "é"
	line := []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"send","arguments":{"from_id":"alice","to_id":"bob","content":"` +
		content + `","data":{"n":9007199254740993}}}}` + "\n")
	var answer string
	n := testkit.Allocated(func() { answer = ask(line) })
	var r struct {
		Result struct {
			Structured struct {
				LargeFile string `json:"large_file"`
			} `json:"structuredContent"`
		}
	}
	if err := json.Unmarshal([]byte(answer), &r); err != nil || r.Result.Structured.LargeFile == "" {
		t.Fatalf("answer %.300s: %v", answer, err)
	}
	ratio := float64(n) / float64(len(content))
	t.Logf("a send of %d MiB of content allocated %.0f MiB, %.2f× the content", size>>20, float64(n)/(1<<20), ratio)
	if ratio > 3.5 {
		t.Errorf("a send of %d MiB allocated %.2f× its content, want at most 3.5×", size>>20, ratio)
	}
	mb, _ := sp.Mailbox("bob")
	msgs, err := mb.Check(spool.CheckOptions{})
	if err != nil || len(msgs) != 1 || string(msgs[0].Data) != `{"n":9007199254740993}` || msgs[0].LargeSize != int64(len(content)) {
		t.Fatalf("bob got %d messages, %v", len(msgs), err)
	}
}

// serveStdioPipes serves srv over stdio on pipes until the test ends:
// what the test writes to in reaches the server, its answers come out of out.
func serveStdioPipes(t *testing.T, srv *Server) (in *io.PipeWriter, out *io.PipeReader) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.ServeStdio(context.Background(), inR, outW); outW.Close() }()
	t.Cleanup(func() { inW.Close(); <-done })
	return inW, outR
}
