package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

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
waits for ever. Ctrl-C ends it with exit 130, SIGTERM with 143, as a shell
reports them. --json prints the messages as a JSON array, like
'ipc check --json', and [] when it ends without mail.

A name with no mailbox yet (nothing sent to it, or a typo) gets none from
waiting: wait says so on stderr and wakes when the first message creates
it.

Files dropped into outbox/new/ reach your mailbox when a leader runs
('ipc daemon', 'ipc watch' or 'ipc mcp'); mail sent with 'ipc send' or
delivered into new/ by any program needs none.

Environment: IPC_POLL=1 polls instead of using inotify (for NFS and the
like); IPC_POLL_INTERVAL (default 250ms) sets how often.`,
		Example: `  ipc --as bob wait && echo "mail!"
  ipc --as bob wait --timeout 5m --json | jq -r '.[].body'
  while ipc --as bob wait --timeout 0; do :; done   # a mail loop`,
		Args: argsRule(0, 0, "", "wait takes no arguments (give a time limit with --timeout)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return errNegativeTimeout
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			return runWait(ctx, a, timeout, peek)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long (0: wait for ever)")
	f.BoolVar(&peek, "peek", false, "leave the messages unread")
	return cmd
}

// errNoMail ends a wait whose time is up.
var errNoMail = errors.New("no mail in time")

func runWait(ctx context.Context, a *App, timeout time.Duration, peek bool) error {
	catchBrokenPipe()
	name, err := a.Name()
	if err != nil {
		return err
	}
	wo, err := a.watchOptions()
	if err != nil {
		return err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, errNoMail)
		defer cancel()
	}
	mb, err := a.awaitMailbox(ctx, name, wo)
	if ctx.Err() != nil {
		return a.waitEnded(ctx, timeout)
	}
	if err != nil {
		return err
	}
	// Follow first, then look: mail landing in between is seen by one or
	// the other.
	fd, stop, err := a.follow(ctx, mb.Name, wo)
	if err != nil {
		if ctx.Err() != nil { // the time ran out while the follower started
			return a.waitEnded(ctx, timeout)
		}
		return fmt.Errorf("wait: %w", err)
	}
	defer stop()
	for {
		msgs := a.readMail(mb, peek)
		if len(msgs) > 0 {
			return a.showClaimed(mb, msgs, peek, a.printMail)
		}
		select {
		case <-ctx.Done():
			return a.waitEnded(ctx, timeout)
		case _, ok := <-fd.Events():
			if !ok {
				if ctx.Err() != nil {
					return a.waitEnded(ctx, timeout)
				}
				return fmt.Errorf("wait: the follower stopped")
			}
			drain(fd)
		}
	}
}

// waitEnded says why a wait ended without mail and gives its exit code:
// 1 when its time was up, 128+N for signal N (130 for Ctrl-C). With
// --json it prints the empty list: no mail, in the shape mail comes in.
func (a *App) waitEnded(ctx context.Context, timeout time.Duration) error {
	if a.JSON {
		if err := a.printJSON([]any{}); err != nil {
			return err
		}
	}
	if sig, ok := signalOf(ctx); ok {
		return &exitError{code: sig.exitCode(), err: errors.New("interrupted: no mail")}
	}
	return &exitError{code: ExitTimeout, err: fmt.Errorf("no mail within %s", timeout)}
}

// awaitMailbox returns name's mailbox, waiting until it exists without
// creating it (nor the spool): a mistyped name must not leave a mailbox
// behind. When it has to wait it says so on stderr; a first delivery
// creates the mailbox, and this returns within milliseconds of that.
func (a *App) awaitMailbox(ctx context.Context, name string, wo watcher.Options) (*spool.Mailbox, error) {
	sp, err := a.existingSpool()
	if err != nil {
		return nil, err
	}
	if sp != nil {
		a.noteRenamed(sp, name)
		if mb, err := sp.Mailbox(name); err != nil || mb.Exists() {
			return mb, err
		}
		a.noMailbox(name, "; waiting anyway")
	} else {
		a.noSpool("; waiting anyway")
	}
	root, err := a.root()
	if err != nil {
		return nil, err
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	if err := watcher.WaitForDir(ctx, filepath.Join(root, "mail", name, "new"), wo); err != nil {
		return nil, err
	}
	if sp, err = a.Spool(); err != nil { // it exists now
		return nil, err
	}
	return sp.Mailbox(name)
}

// follow starts the process's Follower on the spool of mb and opens a
// Feed following name; stop closes both. The feed says only that
// something arrived, by name: wait reads the mailbox itself after each
// report (and once before any), so the follower reads nothing for it,
// neither the mail unread at the start nor each arrival.
func (a *App) follow(ctx context.Context, name string, wo watcher.Options) (*follow.Feed, func(), error) {
	sp, err := a.Spool()
	if err != nil {
		return nil, nil, err
	}
	f, err := a.follower(ctx, sp, wo)
	if err != nil {
		return nil, nil, err
	}
	fd := f.OpenWith(follow.FeedOptions{Arrivals: true, NamesOnly: true})
	if err := fd.Follow(name); err != nil {
		f.Close()
		return nil, nil, err
	}
	return fd, func() { f.Close() }, nil
}

// drain takes every event already waiting behind the one just taken: one
// look at the mailbox serves them all (a file that is not mail is
// quarantined and warned about by that look, as check does).
func drain(fd *follow.Feed) {
	for {
		select {
		case _, ok := <-fd.Events():
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
		a.warn(err)
	}
	return msgs
}

// printMail prints messages as 'ipc check' does, in one write whose error
// it returns.
func (a *App) printMail(msgs []*spool.Message) error {
	if a.JSON {
		return a.printJSON(msgs) // one Write
	}
	var buf bytes.Buffer
	printMessages(&buf, msgs, a.color())
	_, err := a.Out.Write(buf.Bytes())
	return err
}

// showClaimed shows messages that reading claimed; if they cannot be shown
// (stdout closed: 'ipc watch | head -1') they go back to new/, unread, so
// nothing is marked seen that nobody saw. Once shown, the read receipts
// their senders asked for go out (not for a peek).
func (a *App) showClaimed(mb *spool.Mailbox, msgs []*spool.Message, peek bool, show func([]*spool.Message) error) error {
	err := show(msgs)
	if err != nil {
		if uerr := mb.Unclaim(msgs); uerr != nil {
			a.warn(uerr)
		}
		err = fmt.Errorf("print mail (left unread): %w", err)
		if platform.BrokenPipe(err) {
			// Output closed ('ipc watch | head -1'): exit as a process
			// killed by SIGPIPE would, 128+13, not as a spool failure.
			return &exitError{code: 128 + int(syscall.SIGPIPE), err: err}
		}
		return err
	}
	if !peek {
		if sp, err := a.Spool(); err == nil {
			a.sendReceipts(sp, mb.Name, msgs)
		}
	}
	return nil
}
