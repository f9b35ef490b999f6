package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

func newWatchCmd(a *App) *cobra.Command {
	var peek bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Follow your mailbox like tail -f, printing mail the instant it lands",
		Long: `Watch holds your name (you are online while it runs; it refuses, exit 3,
if another live process holds it), prints the mail already waiting, then
prints each message the moment it lands, in the order they land, marking
it read — --peek leaves it unread. Ctrl-C ends it with exit 130, SIGTERM
with 143, as a shell reports a process ended by them; when its output is
closed ('ipc watch | head -1' after head exits) it ends with 141, leaving
unread the mail it could not print.

--json prints one JSON object per message per line (NDJSON), with the
fields of 'ipc check --json'.

Meanwhile it also offers to lead the spool (see 'ipc daemon'), so files
dropped into outbox/new/ are routed while it runs.

Environment: IPC_POLL=1 polls instead of using inotify (for NFS and the
like); IPC_POLL_INTERVAL (default 250ms) sets how often.`,
		Example: `  ipc --as bob watch
  ipc --as bob watch --json | jq --unbuffered -r .body
  ipc --as bob watch --peek   # look without marking read`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			return runWatch(ctx, a, peek)
		},
	}
	cmd.Flags().BoolVar(&peek, "peek", false, "leave the messages unread")
	return cmd
}

func runWatch(ctx context.Context, a *App, peek bool) error {
	catchBrokenPipe()
	name, err := a.Name()
	if err != nil {
		return err
	}
	sp, wo, err := a.watchedSpool()
	if err != nil {
		return err
	}
	a.noteRenamed(sp, name)
	owner, err := sp.Claim(name)
	if err != nil {
		return err // a name held elsewhere: the error says by whom and what to do
	}
	defer owner.Release()
	mb, err := sp.Mailbox(name)
	if err != nil {
		return err
	}
	fol, err := a.follower(ctx, sp, wo)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer fol.Close()
	stopLeader := a.background(ctx, sp, fol)
	defer stopLeader()
	fd, err := fol.Follow(name)
	if err != nil {
		if ctx.Err() != nil {
			return watchEnded(ctx) // interrupted while the follower started
		}
		return fmt.Errorf("watch: %w", err)
	}
	defer fd.Close()
	fmt.Fprintf(a.Err, "ipc: watching mail for %s (Ctrl-C to stop)\n", name)
	f := &follower{a: a, mb: mb, peek: peek, shown: map[string]bool{}}
	// What waits is listed, oldest first; what lands after is shown in the
	// order the feed reports it, which is the order it landed: a listing
	// made during a burst can miss a message and return one that landed
	// after it.
	if err := f.show(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return watchEnded(ctx)
		case ev, ok := <-fd.Events():
			if !ok {
				return watchEnded(ctx) // stopped with ctx
			}
			if err := f.showArrived(f.arrived(fd, ev)); err != nil {
				return err
			}
		}
	}
}

// watchEnded gives the exit code of a watch whose context ended: 128+N
// for signal N (130 for Ctrl-C), else 0.
func watchEnded(ctx context.Context) error {
	if sig, ok := signalOf(ctx); ok {
		return silentExit(sig.exitCode())
	}
	return nil
}

// follower prints each message of a mailbox once, as it arrives.
type follower struct {
	a       *App
	mb      *spool.Mailbox
	peek    bool
	shown   map[string]bool // with --peek: file names already printed
	printed bool
}

// show prints the unread messages not printed before, oldest first.
func (f *follower) show() error {
	return f.showNew(f.a.readMail(f.mb, f.peek))
}

// arrivals are the messages of the events queued on fd, ev first, in the
// order fd reports them; rescan says some were found by a rescan, not
// seen arriving, so their order is not known.
type arrivals struct {
	msgs   []*spool.Message
	rescan bool
}

// arrived takes ev and every event queued behind it off fd.
func (f *follower) arrived(fd *follow.Feed, ev follow.Event) arrivals {
	var got arrivals
	for {
		switch {
		case ev.Err != nil:
			f.a.warn(ev.Err)
		case ev.Message != nil:
			got.msgs = append(got.msgs, ev.Message)
		}
		got.rescan = got.rescan || ev.Rescan != 0
		var ok bool
		select {
		case ev, ok = <-fd.Events():
			if !ok {
				return got
			}
		default:
			return got
		}
	}
}

// showArrived prints what arrived, in the order it arrived, marking it
// read (unless peek) as it goes. After a rescan, the feed's order is not
// the order of arrival: then the mailbox is listed as at the start.
func (f *follower) showArrived(got arrivals) error {
	if got.rescan {
		return f.show()
	}
	msgs := got.msgs
	if !f.peek {
		var err error
		if msgs, err = f.mb.Take(msgs); err != nil {
			f.a.warn(err)
		}
	}
	return f.showNew(msgs)
}

// showNew prints msgs (with --peek, those not printed before); unless
// peek they were marked read, and go back unread if they cannot be
// printed.
func (f *follower) showNew(msgs []*spool.Message) error {
	var fresh []*spool.Message
	for _, m := range msgs {
		key := filepath.Base(m.Path)
		if f.peek {
			if f.shown[key] {
				continue
			}
			f.shown[key] = true
		}
		fresh = append(fresh, m)
	}
	if len(fresh) == 0 {
		return nil
	}
	return f.a.showClaimed(f.mb, fresh, f.peek, f.print)
}

// print writes messages in one Write: NDJSON with --json, else blocks
// separated by blank lines.
func (f *follower) print(msgs []*spool.Message) error {
	var buf bytes.Buffer
	if f.a.JSON {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for _, m := range msgs {
			enc.Encode(m)
		}
	} else {
		if f.printed {
			buf.WriteString("\n")
		}
		printMessages(&buf, msgs, f.a.color())
	}
	if _, err := f.a.Out.Write(buf.Bytes()); err != nil {
		return err
	}
	f.printed = true
	return nil
}
