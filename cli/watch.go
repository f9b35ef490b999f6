package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"time"

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
	// Names of arrivals only: what waits is listed below, and the watch
	// reads each message itself as it takes it.
	fd := fol.OpenWith(follow.FeedOptions{Arrivals: true, NamesOnly: true})
	defer fd.Close()
	if err := fd.Follow(name); err != nil {
		if ctx.Err() != nil {
			return watchEnded(ctx) // interrupted while the follower started
		}
		return fmt.Errorf("watch: %w", err)
	}
	fmt.Fprintf(a.Err, "ipc: watching mail for %s (Ctrl-C to stop)\n", name)
	f := &follower{a: a, mb: mb, peek: peek, shown: map[string]bool{}}
	// What waits is listed, oldest first; what lands after is shown in the
	// order the feed reports it, which is the order it landed: a listing
	// made during a burst can miss a message and return one that landed
	// after it.
	if err := f.show(); err != nil {
		return err
	}
	in := gather(fd, mb)
	defer func() { fd.Close(); <-in.done }()
	for {
		select {
		case <-ctx.Done():
			return watchEnded(ctx)
		case <-in.done:
			return watchEnded(ctx) // stopped with ctx
		case <-in.ready:
			if err := f.showArrived(in.take()); err != nil {
				return err
			}
		case <-f.relist:
			if err := f.show(); err != nil {
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
	// relist fires when the mailbox is to be listed again because a read
	// failed (the readers' lock busy past its wait, the mailbox not safe
	// to hold): what it could not take is still unread and no feed will
	// report it again. Nil while nothing failed.
	relist <-chan time.Time
}

// relistAfter is how long a watch waits to list its mailbox again after
// a read failed.
const relistAfter = time.Second

// failed notes a read that failed: the mailbox is listed again soon.
func (f *follower) failed(err error) {
	f.a.warn(err)
	if f.relist == nil {
		f.relist = time.After(relistAfter)
	}
}

// show prints the unread messages not printed before, oldest first.
func (f *follower) show() error {
	f.relist = nil
	msgs, err := f.mb.Check(spool.CheckOptions{Peek: f.peek})
	if err != nil {
		f.failed(err)
	}
	return f.showNew(msgs)
}

// arrivals are files that arrived, in the order the feed reported them;
// rescan says some were found by a rescan, not seen arriving, so their
// order is not known.
type arrivals struct {
	files  []spool.Entry
	rescan bool
}

// inbox gathers a feed's events on a goroutine of its own, so that while
// the watch prints and marks one batch read the next one grows: taken an
// event at a time, a burst would go a message (and its fsyncs) at a time.
type inbox struct {
	mu    sync.Mutex
	got   arrivals
	ready chan struct{} // a token when something waits
	done  chan struct{} // closed when the feed has ended
}

// gather starts an inbox of the files fd reports in mb; it stops when fd
// is closed.
func gather(fd *follow.Feed, mb *spool.Mailbox) *inbox {
	in := &inbox{ready: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(in.done)
		for ev := range fd.Events() {
			var e spool.Entry
			switch filepath.Clean(ev.Dir) {
			case mb.NewDir():
				e = spool.Entry{Mailbox: mb.Name, Dir: "new", Name: ev.File}
			case mb.CurDir():
				e = spool.Entry{Mailbox: mb.Name, Dir: "cur", Name: ev.File}
			default:
				continue
			}
			in.mu.Lock()
			in.got.files = append(in.got.files, e)
			in.got.rescan = in.got.rescan || ev.Rescan != 0
			in.mu.Unlock()
			select {
			case in.ready <- struct{}{}:
			default:
			}
		}
	}()
	return in
}

// take returns what arrived since the last take.
func (in *inbox) take() arrivals {
	in.mu.Lock()
	defer in.mu.Unlock()
	got := in.got
	in.got = arrivals{}
	return got
}

// showArrived prints what arrived, in the order it arrived, marking it
// read (unless peek). After a rescan, the feed's order is not the order
// of arrival: then the mailbox is listed as at the start.
func (f *follower) showArrived(got arrivals) error {
	if got.rescan {
		return f.show()
	}
	var msgs []*spool.Message
	var err error
	if f.peek {
		msgs, err = f.peekAt(got.files)
	} else {
		msgs, err = f.mb.Take(got.files)
	}
	if err != nil {
		f.failed(err)
	}
	return f.showNew(msgs)
}

// peekAt reads the unread messages of files, leaving them unread.
func (f *follower) peekAt(files []spool.Entry) ([]*spool.Message, error) {
	var msgs []*spool.Message
	var bad []error
	for _, e := range files {
		if f.shown[e.Name] || !e.Flags().Unread() {
			continue
		}
		m, err := f.mb.Read(e)
		switch {
		case err == nil:
			msgs = append(msgs, m)
		case !errors.Is(err, fs.ErrNotExist): // gone: read by someone else
			bad = append(bad, err)
		}
	}
	return msgs, errors.Join(bad...)
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
