package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcptest"
	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// mcpWait bounds waits for what should happen at once: a deadline against
// hangs, not a measure of speed.
const mcpWait = 20 * time.Second

// inbox collects the notifications an MCP client receives.
type inbox = mcptest.Notes

func newInbox() *inbox { return mcptest.NewNotes(mcpWait) }

// mcpStdio starts "ipc ARGS... mcp" as Claude Code does (stdio) and
// initializes it the way today's Claude Code does: the legacy handshake,
// pinned to LATEST_LEGACY_PROTOCOL_VERSION.
func (w *world) mcpStdio(n *inbox, args ...string) (*client.Client, *exec.Cmd) {
	w.t.Helper()
	var proc *exec.Cmd
	mkcmd := func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
		proc = exec.CommandContext(ctx, command, args...)
		proc.Env = w.env
		return proc, nil
	}
	c, err := client.NewStdioMCPClientWithOptions(ipcBin, nil, append(args, "mcp"), transport.WithCommandFunc(mkcmd))
	if err != nil {
		w.t.Fatal(err)
	}
	mcptest.Start(w.t, c, n)
	initializeMCP(w.t, c)
	return c, proc
}

func initializeMCP(t *testing.T, c *client.Client) {
	t.Helper()
	mcptest.Initialize(t, c, mcpgo.Implementation{Name: "claude-code", Version: "2.1.80"}, mcpWait)
}

// callOK calls a tool that must succeed and returns its text.
func callOK(t *testing.T, c *client.Client, name string, args map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), mcpWait)
	defer cancel()
	res, err := c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: name, Arguments: args}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var text []string
	for _, ct := range res.Content {
		if tc, ok := ct.(mcpgo.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	if res.IsError {
		t.Fatalf("%s(%v) failed: %s", name, args, strings.Join(text, "\n"))
	}
	return strings.Join(text, "\n")
}

// sendID runs "ipc --as FROM send TO TEXT" as its own process and returns
// the message id.
func (w *world) sendID(from, to, text string) string {
	w.t.Helper()
	var rc spool.Receipt
	w.checkJSON(&rc, "--as", from, "send", to, text)
	return rc.ID
}

// presence returns what "ipc list --json" says of name.
func (w *world) presence(name string) spool.NameInfo {
	w.t.Helper()
	var infos []spool.NameInfo
	w.checkJSON(&infos, "list")
	for _, i := range infos {
		if i.Name == name {
			return i
		}
	}
	w.t.Fatalf("ipc list does not show %s: %+v", name, infos)
	return spool.NameInfo{}
}

// killed SIGKILLs a server process and reaps it.
func killed(t *testing.T, p *exec.Cmd) {
	t.Helper()
	if err := p.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.Wait()
}

func checkPush(t *testing.T, ev mcptest.ChannelEvent, from, to, id, content string) {
	t.Helper()
	// Every push here is of mail sent with --as by a name nobody holds.
	want := map[string]string{"from": from, "to": to, "message_id": id, "thread": id, "subject": content, "provenance": "cli"}
	for k, v := range want {
		if ev.Meta[k] != v {
			t.Errorf("meta[%s] = %q, want %q (meta %v)", k, ev.Meta[k], v, ev.Meta)
		}
	}
	if want := "[CLI: unverified sender: sent with --as or IPC_NAME by a process that does not hold the name, " +
		"so anyone could have sent it]\n" + content; ev.Content != want {
		t.Errorf("content %q, want %q", ev.Content, want)
	}
}

// TestMCPStdioPushAndCrash drives "ipc mcp" over stdio like Claude Code:
// register, then mail sent by a separate "ipc send" arrives as a channel
// event; SIGKILL takes the name offline.
func TestMCPStdioPushAndCrash(t *testing.T) {
	w := newWorld(t)
	n := newInbox()
	c, proc := w.mcpStdio(n)
	if got := callOK(t, c, "register", map[string]any{"instance_id": "alice"}); !strings.Contains(got, "Registered as alice") {
		t.Fatalf("register: %q", got)
	}
	if p := w.presence("alice"); !p.Online || p.PID != proc.Process.Pid {
		t.Fatalf("alice after register: %+v (server pid %d)", p, proc.Process.Pid)
	}
	id := w.sendID("bob", "alice", "the build is green")
	checkPush(t, n.Channel(t, 1)[0], "bob", "alice", id, "the build is green")
	if got := callOK(t, c, "check", map[string]any{"instance_id": "alice"}); !strings.Contains(got, "ID: "+id) {
		t.Errorf("check after the push: %q", got)
	}
	checkOneInotify(t, w, proc.Process.Pid, c)
	killed(t, proc)
	if p := w.presence("alice"); p.Online {
		t.Errorf("alice online after SIGKILL of the server: %+v", p)
	}
}

// checkOneInotify checks that the server process pid, once it leads the
// spool too, follows mail with a single inotify instance: the MCP server
// and the leader beside it share one follower, and a send waiting for a
// delivery state (wait_for) watches through it too.
func checkOneInotify(t *testing.T, w *world, pid int, c *client.Client) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return // inotify is Linux's
	}
	sp, err := spool.Open(w.home)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the server to lead the spool", func() bool {
		h, ok := sp.Leader()
		return ok && h.PID == pid
	})
	waited := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), mcpWait)
		defer cancel()
		_, err := c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: "send",
			Arguments: map[string]any{"from_id": "alice", "to_id": "carol", "content": "read me", "wait_for": "read", "timeout_seconds": 60}}})
		waited <- err
	}()
	carol := w.mailDir("carol", "cur")
	eventually(t, "the waiting send to watch carol's cur/", func() bool { return inotifyWatching(pid, carol) })
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		testkit.SkipEnv(t, "cannot list the server's file descriptors: %v", err)
	}
	n := 0
	for _, fd := range fds {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); l == "anon_inode:inotify" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ipc mcp has %d inotify instances open while a send waits, want 1", n)
	}
	w.ok("--as", "carol", "check") // carol reads it: the wait ends
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("the waiting send: %v", err)
		}
	case <-time.After(mcpWait):
		t.Error("the waiting send did not end when carol read her mail")
	}
}

// TestMCPHTTPPushAndCrash does the same over streamable HTTP, the name
// given with --as at start.
func TestMCPHTTPPushAndCrash(t *testing.T) {
	w := newWorld(t)
	proc, url, _ := w.mcpHTTPProc("--as", "alice")
	n := newInbox()
	c := mcptest.DialHTTP(t, url, readToken(t, w), true, n)
	initializeMCP(t, c)
	if p := w.presence("alice"); !p.Online || p.PID != proc.Process.Pid {
		t.Fatalf("alice with --as at start: %+v (server pid %d)", p, proc.Process.Pid)
	}
	id := w.sendID("bob", "alice", "over http")
	checkPush(t, n.Channel(t, 1)[0], "bob", "alice", id, "over http")
	killed(t, proc)
	if p := w.presence("alice"); p.Online {
		t.Errorf("alice online after SIGKILL of the server: %+v", p)
	}
}

// serverBanner reads what "ipc mcp --http" says at start on stderr, up to
// the line that shows how to add it to Claude Code, and returns the URL it
// serves and those lines; then it keeps draining stderr.
func serverBanner(t *testing.T, stderr io.Reader) (url, banner string) {
	t.Helper()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // the banner was read; the rest is drained
			}
		}
		close(lines)
	}()
	deadline := time.After(mcpWait)
	var said []string
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("ipc mcp --http ended, having said:\n%s", strings.Join(said, "\n"))
			}
			said = append(said, line)
			if url == "" {
				m := regexp.MustCompile(`serving MCP at (http://\S+/mcp)`).FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("ipc mcp --http said %q", line)
				}
				url = m[1]
			}
			if strings.Contains(line, "claude mcp add") {
				return url, strings.Join(said, "\n")
			}
		case <-deadline:
			if url == "" {
				t.Fatal("ipc mcp --http did not say where it listens")
			}
			return url, strings.Join(said, "\n")
		}
	}
}

// TestMCPStdioBurstToSlowReader delivers 1,000 messages from another
// process while the client reads each notification slowly: the server's
// stdout pipe and its session buffer fill, and every message must still
// be pushed exactly once.
func TestMCPStdioBurstToSlowReader(t *testing.T) {
	const total = 1000
	w := newWorld(t).with("IPC_RATE_LIMIT=0")
	n := newInbox()
	n.Delay = time.Millisecond
	c, _ := w.mcpStdio(n, "--as", "alice")
	callOK(t, c, "list_instances", nil)

	cfg := spool.DefaultConfig()
	cfg.RatePerMinute = 0
	mcptest.ExactlyOnce(t, n, mcptest.Burst(t, w.home, cfg, total))
	var st struct {
		Pushed      int `json:"pushed"`
		PushRetries int `json:"push_retries"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), mcpWait)
	defer cancel()
	res, err := c.ReadResource(ctx, mcpgo.ReadResourceRequest{Params: mcpgo.ReadResourceParams{URI: "ipc://status"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(res.Contents[0].(mcpgo.TextResourceContents).Text), &st); err != nil {
		t.Fatal(err)
	}
	t.Logf("status: %d pushed, %d sends refused by the lagging client and retried", st.Pushed, st.PushRetries)
	if st.Pushed != total {
		t.Errorf("status says %d pushed", st.Pushed)
	}
}

// TestDoPhrases runs phrases through "ipc do" and checks they did what
// the commands they name do.
func TestDoPhrases(t *testing.T) {
	w := newWorld(t)
	w.ok("--as", "bob", "do", "register this instance as bob")
	if r := w.ok("--as", "alice", "do", "msg bob: the build is green"); !strings.Contains(r.out, "sent to bob") {
		t.Errorf("do msg: %s", r)
	}
	w.ok("--as", "alice", "do", "message bob -5 degrees outside")
	r := w.ok("--as", "bob", "do", "check messages")
	if !strings.Contains(r.out, "the build is green") || !strings.Contains(r.out, "-5 degrees outside") {
		t.Errorf("do check messages: %s", r)
	}
	w.ok("--as", "bob", "do", "reply: thanks") // to the latest message: alice's
	if msgs := w.messages("alice"); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Body, "thanks") || msgs[0].InReplyTo == "" {
		t.Errorf("alice got %+v", msgs)
	}
	var infos []spool.NameInfo
	w.checkJSON(&infos, "do", "who's online?")
	if len(infos) != 2 {
		t.Errorf("do who's online --json: %+v", infos)
	}
	w.ok("--as", "alice", "do", "start auto checking 5")
	if r := w.ok("--as", "alice", "do", "auto check status"); !strings.Contains(r.out, "every 5 min") {
		t.Errorf("do auto check status: %s", r)
	}
	w.ok("--as", "alice", "do", "broadcast: standup in 5")
	if msgs := w.messages("bob"); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Body, "standup in 5") {
		t.Errorf("bob got %+v from the broadcast", msgs)
	}
	w.ok("--as", "alice", "do", "rename to alice2")

	w.fails(2, []string{`cannot understand "chek mesages"; did you mean "check messages"?`}, "do", "chek mesages")
	w.fails(2, []string{"did you mean one of:", `"msg NAME: TEXT"`, `"who's online?"`}, "do", "make me a sandwich")
	w.fails(2, []string{"no message text"}, "--as", "alice2", "do", "msg bob:")
	w.fails(2, []string{"invalid name"}, "--as", "alice2", "do", "register as "+strings.Repeat("x", 33))
}

// rpc is a raw JSON-RPC conversation with "ipc mcp" over its pipes, for
// checking the wire itself against the specification.
type rpc struct {
	t     *testing.T
	in    io.WriteCloser
	lines chan string
	next  int
}

func (w *world) rawMCP(args ...string) *rpc {
	w.t.Helper()
	proc := exec.Command(ipcBin, append(args, "mcp")...)
	proc.Env = w.env
	in, err := proc.StdinPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	out, err := proc.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	proc.Stderr = io.Discard
	if err := proc.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { in.Close(); _ = proc.Wait() })
	r := &rpc{t: w.t, in: in, lines: make(chan string, 64)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	return r
}

// response is a JSON-RPC response.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      *int            `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// notify sends a notification.
func (r *rpc) notify(method string) {
	r.t.Helper()
	fmt.Fprintf(r.in, `{"jsonrpc":"2.0","method":%q}`+"\n", method)
}

// call sends a request and returns its response. Every line the server
// writes must be JSON-RPC 2.0: stdout carries nothing else.
func (r *rpc) call(method string, params any) response {
	r.t.Helper()
	return r.await(method, r.request(method, params))
}

// request sends a request without waiting for its response, and returns
// its id.
func (r *rpc) request(method string, params any) int {
	r.t.Helper()
	r.next++
	req := map[string]any{"jsonrpc": "2.0", "id": r.next, "method": method}
	if params != nil {
		req["params"] = params
	}
	b, _ := json.Marshal(req)
	if _, err := r.in.Write(append(b, '\n')); err != nil {
		r.t.Fatal(err)
	}
	return r.next
}

// await returns the response to request id, skipping the other lines.
func (r *rpc) await(method string, id int) response {
	r.t.Helper()
	deadline := time.After(mcpWait)
	for {
		select {
		case line, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("%s: the server closed stdout", method)
			}
			var resp response
			if err := json.Unmarshal([]byte(line), &resp); err != nil || resp.JSONRPC != "2.0" {
				r.t.Fatalf("stdout line is not JSON-RPC 2.0: %q", line)
			}
			if resp.ID != nil && *resp.ID == id {
				if (resp.Result == nil) == (resp.Error == nil) {
					r.t.Fatalf("%s: a response needs exactly one of result and error: %s", method, line)
				}
				return resp
			}
		case <-deadline:
			r.t.Fatalf("%s: no response", method)
		}
	}
}

// TestMCPConformance checks the requests every MCP server must answer,
// on the wire, as the specification (2025-11-25) gives them: initialize,
// ping, tools/list, resources/list, logging/setLevel, and the JSON-RPC
// errors for an unknown method and bad parameters.
func TestMCPConformance(t *testing.T) {
	w := newWorld(t)
	r := w.rawMCP()
	init := r.call("initialize", map[string]any{
		"protocolVersion": mcpgo.LATEST_LEGACY_PROTOCOL_VERSION,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "conformance", "version": "1"},
	})
	var ir struct {
		ProtocolVersion string `json:"protocolVersion"`
		ServerInfo      struct {
			Name, Version string
		} `json:"serverInfo"`
		Capabilities struct {
			Tools        *struct{}                  `json:"tools"`
			Resources    *struct{ Subscribe bool }  `json:"resources"`
			Logging      *struct{}                  `json:"logging"`
			Experimental map[string]json.RawMessage `json:"experimental"`
		} `json:"capabilities"`
		Instructions string `json:"instructions"`
	}
	if init.Error != nil || json.Unmarshal(init.Result, &ir) != nil {
		t.Fatalf("initialize: %+v %s", init.Error, init.Result)
	}
	if ir.ProtocolVersion != mcpgo.LATEST_LEGACY_PROTOCOL_VERSION || ir.ServerInfo.Name != "ipc" || ir.ServerInfo.Version == "" {
		t.Errorf("initialize result %s", init.Result)
	}
	if ir.Capabilities.Tools == nil || ir.Capabilities.Resources == nil || !ir.Capabilities.Resources.Subscribe || ir.Capabilities.Logging == nil {
		t.Errorf("capabilities %s", init.Result)
	}
	if string(ir.Capabilities.Experimental["claude/channel"]) != "{}" || ir.Instructions == "" {
		t.Errorf("no claude/channel capability or instructions: %s", init.Result)
	}
	r.notify("notifications/initialized")

	if ping := r.call("ping", nil); ping.Error != nil || string(ping.Result) != "{}" {
		t.Errorf("ping: %+v %s", ping.Error, ping.Result)
	}
	tools := r.call("tools/list", nil)
	var tl struct {
		Tools []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			InputSchema struct {
				Type string `json:"type"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	if tools.Error != nil || json.Unmarshal(tools.Result, &tl) != nil || len(tl.Tools) != 12 {
		t.Fatalf("tools/list: %+v %s", tools.Error, tools.Result)
	}
	for _, tool := range tl.Tools {
		if tool.Name == "" || tool.Description == "" || tool.InputSchema.Type != "object" {
			t.Errorf("tool %+v lacks a name, a description or an object input schema", tool)
		}
	}
	res := r.call("resources/list", nil)
	var rl struct {
		Resources []struct {
			URI, Name, MIMEType string
		} `json:"resources"`
	}
	if res.Error != nil || json.Unmarshal(res.Result, &rl) != nil || len(rl.Resources) != 1 || rl.Resources[0].URI != "ipc://status" {
		t.Errorf("resources/list: %+v %s", res.Error, res.Result)
	}
	if lv := r.call("logging/setLevel", map[string]any{"level": "debug"}); lv.Error != nil || string(lv.Result) != "{}" {
		t.Errorf("logging/setLevel: %+v %s", lv.Error, lv.Result)
	}
	if bad := r.call("logging/setLevel", map[string]any{"level": "loud"}); bad.Error == nil || bad.Error.Code != -32602 {
		t.Errorf("logging/setLevel with a bad level: %+v, want error -32602", bad.Error)
	}
	if unk := r.call("no/such/method", nil); unk.Error == nil || unk.Error.Code != -32601 {
		t.Errorf("unknown method: %+v, want error -32601", unk.Error)
	}
	if bad := r.call("resources/read", map[string]any{"uri": "ipc://inbox/.."}); bad.Error == nil || bad.Error.Code != -32002 {
		t.Errorf("resources/read of an invalid inbox: %+v, want error -32002 (resource not found)", bad.Error)
	}
	// A tool failure is a result with isError, not a protocol error.
	call := r.call("tools/call", map[string]any{"name": "check", "arguments": map[string]any{"instance_id": "alice"}})
	var cr struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type, Text string
		} `json:"content"`
	}
	if call.Error != nil || json.Unmarshal(call.Result, &cr) != nil || !cr.IsError || !strings.Contains(cr.Content[0].Text, "Not registered") {
		t.Errorf("tools/call before register: %+v %s", call.Error, call.Result)
	}
}

// TestMCPConformanceSuite runs the official MCP conformance suite's
// scenarios that apply to any server against "ipc mcp --http". It needs
// npx and the npm registry (the suite needs Node 22, fetched as the "node"
// package): it is skipped without them. The suite cannot send headers, so
// it talks to the server through a proxy that adds the bearer token and
// changes nothing else (the Host header passes as sent, for the DNS
// rebinding scenario): the server runs exactly as it does for a user.
func TestMCPConformanceSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the suite downloads Node and the conformance package")
	}
	if _, err := exec.LookPath("npx"); err != nil {
		testkit.SkipEnv(t, "npx is not installed")
	}
	w := newWorld(t)
	url, _ := w.mcpHTTP("--as", "alice")
	url = withToken(t, url, readToken(t, w))
	for _, scenario := range []string{"server-initialize", "ping", "tools-list", "resources-list",
		"logging-set-level", "resources-subscribe", "resources-unsubscribe", "dns-rebinding-protection",
		"server-sse-multiple-streams", "server-sse-polling"} {
		t.Run(scenario, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "npx", "--yes", "-p", "node@22", "-p", "@modelcontextprotocol/conformance@0.1.16",
				"--", "conformance", "server", "--url", url, "--scenario", scenario)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			s := string(out)
			if !strings.Contains(s, "Test Results:") {
				testkit.SkipEnv(t, "the conformance suite did not run (no network for npx?): %v\n%s", err, s)
			}
			if err != nil || !regexp.MustCompile(`Passed: (\d+)/(\d+), 0 failed`).MatchString(s) {
				t.Errorf("scenario %s failed: %v\n%s", scenario, err, s)
			}
		})
	}
}

// initRaw initializes a raw conversation the way today's Claude Code does.
func (r *rpc) initRaw() {
	r.t.Helper()
	init := r.call("initialize", map[string]any{
		"protocolVersion": mcpgo.LATEST_LEGACY_PROTOCOL_VERSION,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "claude-code", "version": "2.1.80"},
	})
	if init.Error != nil {
		r.t.Fatalf("initialize: %+v", init.Error)
	}
	r.notify("notifications/initialized")
}

// TestMCPStdioWaitsDoNotBlockTools starts more blocking waits than mcp-go
// has workers by default, then a quick tool call: it is answered while the
// waits still wait.
func TestMCPStdioWaitsDoNotBlockTools(t *testing.T) {
	w := newWorld(t)
	r := w.rawMCP("--as", "alice")
	r.initRaw()
	for range 10 {
		r.request("tools/call", map[string]any{"name": "wait", "arguments": map[string]any{"timeout_seconds": 600}})
	}
	list := r.call("tools/call", map[string]any{"name": "list_instances", "arguments": map[string]any{}})
	if list.Error != nil || !strings.Contains(string(list.Result), "alice") {
		t.Errorf("list_instances behind 10 waits: %+v %s", list.Error, list.Result)
	}
}

// TestMCPStdioStopsWhenClientStopsReading fills the server's stdout (the
// client stops reading it), then sends SIGTERM: the server must exit, and
// its name go offline, though its writes can never finish.
func TestMCPStdioStopsWhenClientStopsReading(t *testing.T) {
	w := newWorld(t)
	proc := exec.Command(ipcBin, "--as", "alice", "mcp")
	proc.Env = w.env
	in, err := proc.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := proc.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed once the process is reaped
	go func() {
		_ = proc.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = proc.Process.Kill()
		in.Close()
		<-exited
	})
	fmt.Fprintf(in, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`+"\n", mcpgo.LATEST_LEGACY_PROTOCOL_VERSION)
	fmt.Fprintln(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for i := 1; i <= 100; i++ { // far more than a pipe holds
		fmt.Fprintf(in, `{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`+"\n", i)
	}
	f, ok := out.(*os.File)
	if !ok {
		t.Fatalf("stdout pipe is a %T", out)
	}
	if _, err := pipeQueued(t, f); err != nil { // skips where it cannot count
		t.Fatal(err)
	}
	deadline := time.Now().Add(mcpWait)
	for {
		n, err := pipeQueued(t, f) // bytes waiting in the pipe
		if err != nil {
			t.Fatal(err)
		}
		// Half a pipe written, the rest of the 100 answers cannot fit: the
		// server's writes block now or soon, SIGTERM or not.
		if n >= 32<<10 && w.presence("alice").Online {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server wrote %d bytes and stopped short of filling the pipe", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(mcpWait):
		t.Fatal("ipc mcp did not exit after SIGTERM while its stdout was full")
	}
	if p := w.presence("alice"); p.Online {
		t.Errorf("alice online after the server exited: %+v", p)
	}
}

// TestMCPHTTPNeedsToken checks that "ipc mcp --http" answers only requests
// that carry the bearer token kept in the spool, 0600, and says how to pass
// it.
func TestMCPHTTPNeedsToken(t *testing.T) {
	w := newWorld(t)
	url, banner := w.mcpHTTP()
	tokenPath := filepath.Join(w.home, "state", "http-token")
	fi, err := os.Lstat(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want a regular file 0600", tokenPath, fi.Mode())
	}
	token := readToken(t, w)
	want := `claude mcp add --transport http ipc ` + url + ` --header "Authorization: Bearer $(cat ` + tokenPath + `)"`
	if !strings.Contains(banner, want) {
		t.Errorf("ipc mcp --http does not say how to connect; want %q in:\n%s", want, banner)
	}
	initBody := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`, mcpgo.LATEST_LEGACY_PROTOCOL_VERSION)
	for _, tt := range []struct {
		name, auth string
		want       int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer " + strings.Repeat("0", len(token)), http.StatusUnauthorized},
		{"not bearer", "Basic " + token, http.StatusUnauthorized},
		{"the token", "Bearer " + token, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(initBody))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
		})
	}
	// A second server on the same spool uses the same token.
	w.mcpHTTP()
	if got := readToken(t, w); got != token {
		t.Errorf("the token changed from %q to %q", token, got)
	}
}

// mcpHTTP starts "ipc mcp --http 127.0.0.1:0" and returns its URL and what
// it said on stderr at start.
func (w *world) mcpHTTP(args ...string) (url, banner string) {
	w.t.Helper()
	_, url, banner = w.mcpHTTPProc(args...)
	return url, banner
}

// mcpHTTPProc starts "ipc ARGS... mcp --http 127.0.0.1:0", killed when the
// test ends, and returns the process, its URL and what it said on stderr
// at start.
func (w *world) mcpHTTPProc(args ...string) (proc *exec.Cmd, url, banner string) {
	w.t.Helper()
	proc = exec.Command(ipcBin, append(args, "mcp", "--http", "127.0.0.1:0")...)
	proc.Env = w.env
	stderr, err := proc.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := proc.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = proc.Process.Kill(); _ = proc.Wait() })
	url, banner = serverBanner(w.t, stderr)
	return proc, url, banner
}

// readToken returns the bearer token "ipc mcp --http" keeps in the spool.
func readToken(t *testing.T, w *world) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(w.home, "state", "http-token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	if len(token) < 32 {
		t.Fatalf("token %q is too short", token)
	}
	return token
}

// withToken serves a proxy to the server at url that adds the bearer token
// to every request, and returns the proxy's URL for the same path.
func withToken(t *testing.T, url, token string) string {
	t.Helper()
	target, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&neturl.URL{Scheme: target.Scheme, Host: target.Host})
			r.Out.Host = r.In.Host
			r.Out.Header.Set("Authorization", "Bearer "+token)
		},
		FlushInterval: -1, // server-sent events pass at once
	}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	return ps.URL + target.Path
}
