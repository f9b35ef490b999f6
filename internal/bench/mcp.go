package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// channelMethod is the notification that pushes mail to a client.
const channelMethod = "notifications/claude/channel"

// mcpClient is an "ipc --as NAME mcp" process and the stdio client that
// talks to it, as Claude Code starts and speaks to its MCP servers.
type mcpClient struct {
	name string
	c    *client.Client
	proc *exec.Cmd
}

// startMCP starts "ipc --as name mcp", does the handshake and lists the
// tools (the server is then ready). notify, when not nil, gets every
// notification.
func (r *runner) startMCP(name string, notify func(mcpgo.JSONRPCNotification)) (*mcpClient, error) {
	m := &mcpClient{name: name}
	mkcmd := func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
		m.proc = exec.CommandContext(ctx, command, args...)
		m.proc.Env = r.env
		return m.proc, nil
	}
	c, err := client.NewStdioMCPClientWithOptions(r.ipc, nil, []string{"--as", name, "mcp"}, transport.WithCommandFunc(mkcmd))
	if err != nil {
		return nil, fmt.Errorf("start ipc mcp as %s: %w", name, err)
	}
	m.c = c
	if notify != nil {
		c.OnNotification(notify)
	}
	ctx, cancel := context.WithTimeout(context.Background(), procWait)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("ipc mcp as %s: %w", name, err)
	}
	_, err = c.Initialize(ctx, mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{
		ProtocolVersion: mcpgo.LATEST_LEGACY_PROTOCOL_VERSION,
		ClientInfo:      mcpgo.Implementation{Name: "ipc-bench", Version: "1"},
	}})
	if err == nil {
		_, err = c.ListTools(ctx, mcpgo.ListToolsRequest{})
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("ipc mcp as %s: initialize: %w", name, err)
	}
	return m, nil
}

// call calls a tool and returns its text; a tool error is an error.
func (m *mcpClient) call(tool string, args map[string]any) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), procWait)
	defer cancel()
	res, err := m.c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: tool, Arguments: args}})
	if err != nil {
		return "", fmt.Errorf("%s as %s: %w", tool, m.name, err)
	}
	var text []string
	for _, ct := range res.Content {
		if tc, ok := ct.(mcpgo.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	if res.IsError {
		return "", fmt.Errorf("%s as %s: %s", tool, m.name, strings.Join(text, " "))
	}
	return strings.Join(text, "\n"), nil
}

// pid is the server process's id.
func (m *mcpClient) pid() int { return m.proc.Process.Pid }

// close ends the client and its server.
func (m *mcpClient) close() { m.c.Close() }

// closeAll closes every client of ms at once.
func closeAll(ms []*mcpClient) {
	done := make(chan struct{}, len(ms))
	for _, m := range ms {
		go func() { m.close(); done <- struct{}{} }()
	}
	for range ms {
		<-done
	}
}

// messageID returns the id of the message a channel notification
// carries ("" for any other notification).
func messageID(n mcpgo.JSONRPCNotification) string {
	if n.Method != channelMethod {
		return ""
	}
	meta, _ := n.Params.AdditionalFields["meta"].(map[string]any)
	s, _ := meta["message_id"].(string)
	return s
}
