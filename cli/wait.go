package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

func init() { register(newWaitCmd) }

func newWaitCmd(a *App) *cobra.Command {
	var timeout time.Duration
	var peek bool
	cmd := &cobra.Command{
		Use:   "wait",
		Short: "Block until mail arrives, print it, exit 0 (exit 1 on timeout)",
		Long: `Wait prints your unread mail and exits 0 as soon as there is any: at once
if mail is already waiting, else the instant a message lands in your
mailbox (inotify wakes it, not a poll). The messages are marked read, as
'ipc check' does, unless --peek.

With no mail within --timeout it says so on stderr and exits 1; --timeout 0
waits for ever. --json prints the messages as a JSON array, like
'ipc check --json'.

Files dropped into outbox/new/ reach your mailbox when a leader runs
('ipc daemon', 'ipc watch' or 'ipc mcp'); mail sent with 'ipc send' or
delivered into new/ by any program needs none.

Environment: IPC_POLL=1 polls instead of using inotify (for NFS and the
like); IPC_POLL_INTERVAL (default 250ms) sets how often.`,
		Example: `  ipc --as bob wait && echo "mail!"
  ipc --as bob wait --timeout 5m --json | jq -r '.[].body'
  while ipc --as bob wait --timeout 0; do :; done   # a mail loop`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return usageErr(errors.New("--timeout must be 0 (for ever) or more"))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runWait(ctx, a, timeout, peek)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long (0: wait for ever)")
	f.BoolVar(&peek, "peek", false, "leave the messages unread")
	return cmd
}

func runWait(ctx context.Context, a *App, timeout time.Duration, peek bool) error {
	name, err := a.Name()
	if err != nil {
		return err
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	wo, err := a.watchOptions()
	if err != nil {
		return err
	}
	mb, err := sp.EnsureMailbox(name)
	if err != nil {
		return err
	}
	// Watch first, then look: mail landing in between is seen by one or
	// the other.
	w, err := watcher.New(ctx, wo, mb.NewDir())
	if err != nil {
		return fmt.Errorf("wait: %w", err)
	}
	defer w.Close()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		msgs := a.readMail(mb, peek)
		if len(msgs) > 0 {
			return a.printMail(msgs)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(a.Err, "ipc: interrupted: no mail")
			return silentExit(ExitTimeout)
		case <-expired:
			fmt.Fprintf(a.Err, "ipc: no mail within %s\n", timeout)
			return silentExit(ExitTimeout)
		case _, ok := <-w.Events():
			if !ok {
				return fmt.Errorf("wait: the watcher stopped")
			}
			drain(w)
		}
	}
}

// drain takes every event already waiting: one look at the mailbox serves
// them all.
func drain(w *watcher.Watcher) {
	for {
		select {
		case _, ok := <-w.Events():
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// readMail returns the unread messages of mb, claiming them unless peek.
// Problems with other files (quarantined, forged) are warnings on stderr.
func (a *App) readMail(mb *spool.Mailbox, peek bool) []*spool.Message {
	msgs, err := mb.Check(spool.CheckOptions{Peek: peek})
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(a.Err, "ipc: warning:", line)
		}
	}
	return msgs
}

// printMail prints messages as 'ipc check' does.
func (a *App) printMail(msgs []*spool.Message) error {
	if a.JSON {
		return a.printJSON(msgs)
	}
	printMessages(a.Out, msgs, a.color())
	return nil
}
