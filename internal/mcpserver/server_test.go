package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

const wait = 10 * time.Second

// testServer has one tool, echo, one resource and one template.
func testServer(max int64, hooks Hooks) *Server {
	s := New(Options{Name: "t", Version: "1", Instructions: "be kind", MaxMessage: max, Hooks: hooks,
		Experimental: map[string]any{"claude/channel": map[string]any{}}})
	s.AddTools(Tool{
		Tool: mcpgo.NewTool("echo", mcpgo.WithString("text")),
		Handler: func(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			if req.GetString("text", "") == "panic" {
				panic("asked to")
			}
			return mcpgo.NewToolResultStructured(map[string]any{"raw": string(req.Params.RawArguments)}, req.GetString("text", "")), nil
		},
	})
	s.AddResource(mcpgo.NewResource("t://status", "status"), func(context.Context, mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
		return []mcpgo.ResourceContents{mcpgo.TextResourceContents{URI: "t://status", Text: "ok"}}, nil
	})
	s.AddResourceTemplate(mcpgo.NewResourceTemplate("t://box/{name}", "box"), func(_ context.Context, req mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
		if strings.HasSuffix(req.Params.URI, "/none") {
			return nil, fmt.Errorf("%w: %s", ErrResourceNotFound, req.Params.URI)
		}
		return []mcpgo.ResourceContents{mcpgo.TextResourceContents{URI: req.Params.URI, Text: "box"}}, nil
	})
	return s
}

// conn is a client talking to ServeStdio over pipes, line by line.
type conn struct {
	t     *testing.T
	w     io.WriteCloser
	lines chan string
	done  chan error
}

func dialStdio(t *testing.T, s *Server) *conn {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &conn{t: t, w: inW, lines: make(chan string, 100), done: make(chan error, 1)}
	go func() {
		err := s.ServeStdio(context.Background(), inR, outW)
		outW.Close()
		c.done <- err
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		inW.Close()
		if err := <-c.done; err != nil {
			t.Errorf("ServeStdio: %v", err)
		}
	})
	return c
}

func (c *conn) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.w, line+"\n"); err != nil {
		c.t.Fatal(err)
	}
}

type reply struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Method string `json:"method"`
}

func (c *conn) next() reply {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatal("the server closed its output")
		}
		var r reply
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			c.t.Fatalf("not JSON: %q", l)
		}
		return r
	case <-time.After(wait):
		c.t.Fatal("no answer")
	}
	return reply{}
}

func TestStdioRequests(t *testing.T) {
	c := dialStdio(t, testServer(0, Hooks{}))
	for _, tt := range []struct {
		name, req string
		code      int    // the error expected; 0: a result
		want      string // in the result or the error message
	}{
		{"initialize", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`, 0, `"protocolVersion":"2025-06-18"`},
		{"initialize newer than the handshake", `{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2026-07-28"}}`, 0, `"protocolVersion":"2025-11-25"`},
		{"initialize unknown version", `{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"1999-01-01"}}`, 0, `"protocolVersion":"2025-11-25"`},
		{"capabilities", `{"jsonrpc":"2.0","id":4,"method":"initialize","params":{}}`, 0, `"experimental":{"claude/channel":{}},"logging":{},"resources":{"subscribe":true},"tools":{}}`},
		{"ping", `{"jsonrpc":"2.0","id":"p","method":"ping"}`, 0, `{}`},
		{"tools/list", `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`, 0, `"name":"echo"`},
		{"tools/call", `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi","n":9007199254740993}}}`, 0, `"raw":"{\"text\":\"hi\",\"n\":9007199254740993}"`},
		{"tools/call unknown tool", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"nope"}}`, mcpgo.INVALID_PARAMS, "nope"},
		{"tools/call bad params", `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":[1]}`, mcpgo.INVALID_PARAMS, "invalid params"},
		{"a handler's panic", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"text":"panic"}}}`, mcpgo.INTERNAL_ERROR, "asked to"},
		{"resources/list", `{"jsonrpc":"2.0","id":10,"method":"resources/list"}`, 0, `"uri":"t://status"`},
		{"resources/templates/list", `{"jsonrpc":"2.0","id":11,"method":"resources/templates/list"}`, 0, `"uriTemplate":"t://box/{name}"`},
		{"resources/read", `{"jsonrpc":"2.0","id":12,"method":"resources/read","params":{"uri":"t://box/a"}}`, 0, `"text":"box"`},
		{"resources/read no match", `{"jsonrpc":"2.0","id":13,"method":"resources/read","params":{"uri":"t://other"}}`, mcpgo.RESOURCE_NOT_FOUND, "t://other"},
		{"resources/read refused by its handler", `{"jsonrpc":"2.0","id":14,"method":"resources/read","params":{"uri":"t://box/none"}}`, mcpgo.RESOURCE_NOT_FOUND, "resource not found"},
		{"resources/subscribe", `{"jsonrpc":"2.0","id":15,"method":"resources/subscribe","params":{"uri":"t://box/a"}}`, 0, `{}`},
		{"resources/subscribe without uri", `{"jsonrpc":"2.0","id":16,"method":"resources/subscribe","params":{}}`, mcpgo.INVALID_PARAMS, "uri"},
		{"logging/setLevel", `{"jsonrpc":"2.0","id":17,"method":"logging/setLevel","params":{"level":"debug"}}`, 0, `{}`},
		{"logging/setLevel bad level", `{"jsonrpc":"2.0","id":18,"method":"logging/setLevel","params":{"level":"loud"}}`, mcpgo.INVALID_PARAMS, "loud"},
		{"unknown method", `{"jsonrpc":"2.0","id":19,"method":"no/such"}`, mcpgo.METHOD_NOT_FOUND, "no/such"},
		{"not JSON", `{"jsonrpc":`, mcpgo.PARSE_ERROR, "parse error"},
		{"not JSON-RPC 2.0", `{"jsonrpc":"1.0","id":20,"method":"ping"}`, mcpgo.INVALID_REQUEST, "2.0"},
		{"a batch", `[{"jsonrpc":"2.0","id":21,"method":"ping"}]`, mcpgo.INVALID_REQUEST, "batches"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.send(tt.req)
			r := c.next()
			switch {
			case tt.code == 0 && r.Error != nil:
				t.Fatalf("error %d %s", r.Error.Code, r.Error.Message)
			case tt.code == 0 && !strings.Contains(string(r.Result), tt.want):
				t.Fatalf("result %s does not hold %s", r.Result, tt.want)
			case tt.code != 0 && (r.Error == nil || r.Error.Code != tt.code || !strings.Contains(r.Error.Message, tt.want)):
				t.Fatalf("answer %s %+v, want error %d saying %q", r.Result, r.Error, tt.code, tt.want)
			}
		})
	}
}

// A message longer than the limit is answered with an error carrying its
// id, the connection goes on, and the reader keeps no more of it than its
// head: reading a line 1,000 times the limit allocates a small part of it.
func TestStdioRefusesTooLargeMessage(t *testing.T) {
	const max = 4096
	c := dialStdio(t, testServer(max, Hooks{}))
	big := `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"` + strings.Repeat("x", 4*max) + `"}}}`
	c.send(big)
	r := c.next()
	if r.Error == nil || r.Error.Code != mcpgo.INVALID_REQUEST || string(r.ID) != "42" || !strings.Contains(r.Error.Message, "too large") {
		t.Fatalf("a message over the limit: id %s, %+v", r.ID, r.Error)
	}
	c.send(`{"method":"ping","params":{"x":"` + strings.Repeat("y", 2*headKept) + `"},"jsonrpc":"2.0","id":43}`)
	if r := c.next(); r.Error == nil || string(r.ID) != "null" {
		t.Fatalf("a message over the limit with its id at the end: id %s, %+v", r.ID, r.Error)
	}
	c.send(`{"jsonrpc":"2.0","id":44,"method":"ping"}`)
	if r := c.next(); r.Error != nil || string(r.ID) != "44" {
		t.Fatalf("the ping after: %+v", r)
	}

	const huge = 1000 * max
	line := strings.NewReader(`{"jsonrpc":"2.0","id":7,"x":"` + strings.Repeat("z", huge) + "\"}\nrest")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	br := bufio.NewReaderSize(line, 64<<10)
	l := readOne(br, max)
	runtime.ReadMemStats(&after)
	if l.tooLong == nil || !strings.Contains(string(l.tooLong), `"id":7`) {
		t.Fatalf("read %d bytes, %q", len(l.b), l.tooLong)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > huge/8 {
		t.Errorf("reading a %d-byte line with a %d-byte limit allocated %d bytes", huge, max, got)
	}
	if rest := readOne(br, max); string(rest.b) != "rest" {
		t.Errorf("after the long line: %q %v", rest.b, rest.err)
	}
}

// Notify reaches only an initialized session, in order with answers, and
// says when a session is gone; hooks see a session start and end once.
func TestStdioNotifyAndHooks(t *testing.T) {
	reg := make(chan *Session, 1)
	var ended int
	unreg := make(chan struct{}, 1)
	s := testServer(0, Hooks{
		Register:   func(ss *Session) { reg <- ss },
		Unregister: func(*Session) { ended++; unreg <- struct{}{} },
	})
	c := dialStdio(t, s)
	ss := <-reg
	if err := s.Notify(ss.ID(), "notifications/x", nil); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("before initialize: %v", err)
	}
	c.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)
	c.next()
	if err := s.Notify(ss.ID(), "notifications/x", map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if r := c.next(); r.Method != "notifications/x" {
		t.Errorf("got %+v, want the notification", r)
	}
	c.w.Close()
	select {
	case <-unreg:
	case <-time.After(wait):
		t.Fatal("the session did not end")
	}
	if err := s.Notify(ss.ID(), "notifications/x", nil); !errors.Is(err, ErrNoSession) {
		t.Errorf("after the end: %v", err)
	}
	if ended != 1 {
		t.Errorf("Unregister ran %d times", ended)
	}
}

// notifications/cancelled cancels the request it names.
func TestStdioCancel(t *testing.T) {
	s := testServer(0, Hooks{})
	started := make(chan struct{})
	s.AddTools(Tool{Tool: mcpgo.NewTool("block"), Handler: func(ctx context.Context, _ mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		close(started)
		<-ctx.Done()
		return mcpgo.NewToolResultText("cancelled"), nil
	}})
	c := dialStdio(t, s)
	c.send(`{"jsonrpc":"2.0","id":"b","method":"tools/call","params":{"name":"block"}}`)
	<-started
	c.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"b"}}`)
	if r := c.next(); !strings.Contains(string(r.Result), "cancelled") {
		t.Errorf("got %+v", r)
	}
}

// TestStdioLimitIsOfTheMessage: the limit is of the message, as over
// HTTP, not of the message and the newline that ends its line.
func TestStdioLimitIsOfTheMessage(t *testing.T) {
	const max = 100
	msg := func(n int) string { // a JSON message of n bytes
		head := `{"jsonrpc":"2.0","id":1,"x":"`
		return head + strings.Repeat("a", n-len(head)-2) + `"}`
	}
	for _, tc := range []struct {
		name string
		in   string
		kept bool
	}{
		{"at the limit", msg(max) + "\n", true},
		{"at the limit, CRLF", msg(max-1) + "\r\n", true},
		{"at the limit, last line", msg(max), true},
		{"over it", msg(max+1) + "\n", false},
		{"over it, last line", msg(max + 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := readOne(bufio.NewReaderSize(strings.NewReader(tc.in), 16), max)
			if kept := l.tooLong == nil && l.err == nil; kept != tc.kept {
				t.Errorf("%d bytes with a limit of %d: kept %v (%d bytes, %q, %v), want %v",
					len(tc.in), max, kept, len(l.b), l.tooLong, l.err, tc.kept)
			}
		})
	}
}
