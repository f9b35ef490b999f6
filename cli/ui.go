package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/webui"
)

type uiOptions struct {
	listen string
	open   bool
}

func newUICmd(a *App) *cobra.Command {
	var o uiOptions
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve a live web inbox of every mailbox on 127.0.0.1",
		Long: `ui serves a web page for people: every mailbox with its online state,
unread count and last activity; all mail newest first, by mailbox or by
search, a page at a time; threads across mailboxes; each message with its
data and the full text of large ones; a composer that sends, replies and
broadcasts; mark read and unread. New mail appears without a reload.

The page sends as "overseer" (--as NAME for another name; $IPC_NAME is not
used, as it names an agent): ui holds that name while it runs, so agents
see it online and can answer it. Its mail is ordinary mail in the spool:
agents read it with check, wait or their MCP tools.

It listens on 127.0.0.1 at a free port unless --listen says otherwise, and
prints the URL to open; the URL carries a secret token (the page trades it
for a cookie). Without the token every request gets 401. --listen on
another address makes the inbox reachable from other machines, in plain
HTTP: ui warns when it does.

The ui also leads the spool when no other process does (routing drop-ins,
keeping the search index fresh), as ipc watch does.

` + "Search box syntax: see 'ipc search --help'.",
		Example: `  ipc ui
  ipc ui --open
  ipc ui --listen 127.0.0.1:8025 --as lead-dev`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(orBackground(cmd.Context()), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runUI(ctx, a, o)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on (port 0: a free one)")
	cmd.Flags().BoolVar(&o.open, "open", false, "open the page in the default browser")
	return cmd
}

func runUI(ctx context.Context, a *App, o uiOptions) error {
	name := a.As
	if name == "" {
		name = webui.DefaultName
	}
	if err := spool.ValidName(name); err != nil {
		return usageErr(err)
	}
	sp, wo, err := a.watchedSpool()
	if err != nil {
		return err
	}
	loopback, err := loopbackOnly(o.listen)
	if err != nil {
		return usageErr(err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		// A port in use is a refusal (exit 3), like a name taken.
		return &exitError{code: ExitRefused, err: fmt.Errorf("ui: listen on %s: %w (another program may use that port: pick another with --listen, or port 0)", o.listen, err)}
	}
	defer ln.Close()
	owner, err := sp.Claim(name)
	if err != nil {
		var taken *spool.TakenError
		if errors.As(err, &taken) {
			return fmt.Errorf("ui: %w; is another ipc ui running? give it another name with --as", err)
		}
		return err
	}
	defer owner.Release()
	f, err := a.follower(ctx, sp, wo)
	if err != nil {
		return err
	}
	defer f.Close()
	stopLeader := a.background(ctx, sp, f) // one follower for the page and the leader
	defer stopLeader()
	log := a.logger(slog.LevelWarn)
	srv, err := webui.New(sp, ln, webui.Options{Name: name, Follower: f, Logger: log})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	if !loopback {
		fmt.Fprintf(a.Err, "ipc ui: warning: listening on %s, reachable from other machines over plain HTTP: anyone who learns the URL can read and send all mail\n", ln.Addr())
	}
	if a.JSON {
		a.printJSON(map[string]string{"url": srv.URL(), "name": name, "spool": sp.Root})
	} else {
		fmt.Fprintf(a.Out, "ipc inbox for %s, sending as %s:\n  %s\n(Ctrl-C stops it)\n", sp.Root, name, srv.URL())
	}
	if o.open {
		if err := openBrowser(srv.URL()); err != nil {
			fmt.Fprintf(a.Err, "ipc ui: could not open a browser (%v); open the URL above yourself\n", err)
		}
	}
	return <-done
}

// loopbackOnly reports whether addr listens on loopback addresses only.
func loopbackOnly(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("--listen %q: want HOST:PORT, e.g. 127.0.0.1:8025", addr)
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}
