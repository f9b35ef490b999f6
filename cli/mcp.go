package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/mcp"
	"github.com/claude-ipc/ipc/share"
)

func newMCPCmd(a *App) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Run the MCP server an AI agent uses (stdio, or HTTP with --http)",
		Long: `Mcp runs ipc's MCP server: one process is one agent. It speaks MCP on
stdin/stdout (nothing else is written to stdout; status goes to stderr),
or streamable HTTP at http://ADDR/mcp with --http (this machine only;
every request must carry "Authorization: Bearer TOKEN", TOKEN being the
content of state/http-token in the spool, made at the first start).

Tools, with the original tool's names: register, send, broadcast, check,
list_instances, rename, share_file, share_command, auto_process; and
reply, wait, search. Resources: ipc://status and ipc://inbox/{name}.

After register (or at start with --as NAME / IPC_NAME) the process holds
the name: it is online while the server runs and offline the moment it
exits or dies. Mail that lands for it is pushed to the client at once:
to Claude Code as a channel event (<channel source="ipc" from=… message_id=…>),
and as notifications/resources/updated to clients subscribed to
ipc://inbox/NAME. Pushed mail stays unread until check.

The server also offers to lead the spool (see 'ipc daemon').

When the spool is refused (another user's, open to others, not a
directory) mcp exits 4 with the reason on stderr, and on stdio answers
the client's initialize with it as the error, so that 'claude mcp list'
shows why.

Add it to Claude Code (user scope) and start Claude Code with the channel:
  claude mcp add --scope user ipc -- ipc mcp
  claude --dangerously-load-development-channels server:ipc`,
		Example: `  ipc mcp
  ipc --as alice mcp
  ipc mcp --http 127.0.0.1:7777`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runMCP(ctx, a, addr)
		},
	}
	cmd.Flags().StringVar(&addr, "http", "", "serve streamable HTTP at http://ADDR/mcp instead of stdio (a loopback address, like 127.0.0.1:7777)")
	return cmd
}

func runMCP(ctx context.Context, a *App, addr string) error {
	name := a.As
	if name == "" {
		name = a.Getenv("IPC_NAME")
	}
	if name != "" {
		if err := validName(name); err != nil {
			return err
		}
	}
	ln, err := listenLocal(addr)
	if err != nil {
		return err
	}
	serving := false
	defer func() {
		if ln != nil && !serving { // an early return: ServeHTTP never took it
			ln.Close()
		}
	}()
	sp, wo, err := a.watchedSpool()
	if err != nil {
		if ln == nil {
			a.refuseInitialize(err)
		}
		return err
	}
	var token, tokenPath string
	if ln != nil {
		if token, tokenPath, err = mcp.HTTPToken(sp.Root); err != nil {
			return err
		}
	}
	log := a.logger(slog.LevelWarn)
	// One follower, so one inotify instance, for the server and the
	// leader beside it.
	fol, err := a.follower(ctx, sp, wo)
	if err != nil {
		return err
	}
	defer fol.Close()
	srv, err := mcp.New(sp, mcp.Options{Name: name, Version: buildVersion(), Logger: log, Follower: fol, HTTPToken: token})
	if err != nil {
		return usageErr(err)
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	defer srv.Close()
	stopLeader := a.background(ctx, sp, fol)
	defer stopLeader()
	if ln == nil {
		if f, ok := a.In.(*os.File); ok && isTerminal(f) {
			fmt.Fprintln(a.Err, "ipc mcp: speaking MCP on stdin/stdout, for an agent to start (claude mcp add ipc -- ipc mcp); Ctrl-D ends it")
		}
		return srv.ServeStdio(ctx, a.In, underlying(a.Out)) // the real stdout: writes to a pipe get deadlines
	}
	url := fmt.Sprintf("http://%s/mcp", ln.Addr())
	fmt.Fprintf(a.Err, "ipc mcp: serving MCP at %s (spool %s)\n", url, sp.Root)
	fmt.Fprintf(a.Err, "ipc mcp: every request must carry the header \"Authorization: Bearer TOKEN\", TOKEN being the content of %s; for Claude Code:\n", tokenPath)
	fmt.Fprintf(a.Err, "  claude mcp add --transport http ipc %s --header \"Authorization: Bearer $(cat %s)\"\n", url, share.JoinWords([]string{tokenPath}))
	serving = true
	return srv.ServeHTTP(ctx, ln)
}

// listenLocal listens on addr, a loopback address: the spool is private
// to its user, and the bearer token only keeps out the other users of this
// machine. "" means stdio (nil listener).
func listenLocal(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--http %q: want HOST:PORT, like 127.0.0.1:7777", addr))
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, usageErr(fmt.Errorf("--http %q: serve on this machine only (127.0.0.1, ::1 or localhost)", addr))
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// buildVersion is the version of the ipc module this binary was built
// from, "dev" for a local build.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// refuseInitialize answers a client's first request, when it is
// initialize, with err as a JSON-RPC error: clients show that (claude mcp
// list: "Failed to connect — MCP error -32603: …") where they hide the
// server's stderr. The process then exits with err as usual.
func (a *App) refuseInitialize(err error) {
	if f, ok := a.In.(*os.File); ok && isTerminal(f) {
		return
	}
	line, _ := bufio.NewReaderSize(io.LimitReader(a.In, 1<<20), 64<<10).ReadBytes('\n')
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(line, &req) != nil || req.Method != "initialize" || len(req.ID) == 0 {
		return
	}
	resp, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req.ID,
		"error": map[string]any{"code": -32603, "message": "ipc: " + err.Error()}})
	fmt.Fprintf(a.Out, "%s\n", resp)
}
