package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

// hookExitWake is the exit code that makes Claude Code wake the model of
// an asyncRewake hook, its stderr the model's next input.
const hookExitWake = 2

// errWake ends 'ipc hook Stop --wake' with hookExitWake.
var errWake = errors.New("wake the session: mail arrived")

// defaultWakeFor is how long a waking hook waits for mail before it gives
// up and exits 0; the README's hook timeout is set just above it.
const defaultWakeFor = 24 * time.Hour

// wakeCheckEvery is how often a waiting hook checks that Claude Code still
// runs and that no newer waiter has replaced it. Mail itself is never
// polled for: the watcher reports it.
const wakeCheckEvery = time.Second

// sessionKey names the agent session a hook runs for: Claude Code's
// session id from the environment, which Claude Code gives its hooks and
// its MCP servers alike, else the one in the hook's input.
func (a *App) sessionKey(in hookInput) string {
	if id := a.Getenv("CLAUDE_CODE_SESSION_ID"); id != "" {
		return id
	}
	return in.SessionID
}

// hookWake waits until mail arrives that the session has not been told
// of, then writes a summary of it to stderr and returns errWake, which
// wakes the model. It returns nil (exit 0) when Claude Code is gone, when
// a newer waiter for the same session replaced it, or after limit.
func hookWake(ctx context.Context, a *App, sp *spool.Spool, mb *spool.Mailbox, in hookInput, limit time.Duration) error {
	session := a.sessionKey(in)
	if session == "" {
		return nil // no session to wake, nor to keep to one waiter
	}
	self, parent := os.Getpid(), os.Getppid()
	aw := awareness.New(sp)
	if err := aw.SetWaker(mb.Name, session, self); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	arrivals, err := a.mailArrivals(ctx, mb)
	if err != nil {
		return err
	}
	tick := time.NewTicker(wakeCheckEvery)
	defer tick.Stop()
	for {
		woke, err := tryWake(a.Err, sp, aw, mb, session, self)
		if err != nil || woke {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-arrivals:
			if !ok {
				return nil
			}
		case <-tick.C:
			if os.Getppid() != parent || aw.Waker(mb.Name, session) != self {
				return nil // Claude Code ended, or a newer waiter took over
			}
		}
	}
}

// retireWaker ends the session's waiting hook, if any, when a prompt
// starts a turn: the agent is busy now, and its hooks tell it of mail; the
// next Stop starts a new waiter. The waiter sees the record change and
// exits 0 without waking.
func retireWaker(a *App, sp *spool.Spool, name string, in hookInput) {
	session := a.sessionKey(in)
	if aw := awareness.New(sp); session != "" && aw.Waker(name, session) != 0 {
		_ = aw.SetWaker(name, session, 0) // at worst the old waiter wakes a busy session once
	}
}

// tryWake tells the session of the mail it has not been told of, if any,
// and only while this process is still its waiter: the check and the
// record happen under the session record's lock, so no two waiters (nor a
// waiter and a hook) announce the same message.
func tryWake(w io.Writer, sp *spool.Spool, aw *awareness.Awareness, mb *spool.Mailbox, session string, self int) (bool, error) {
	woke := false
	err := aw.Surface(mb.Name, session, func(mark time.Time) (time.Time, error) {
		if aw.Waker(mb.Name, session) != self {
			return time.Time{}, nil
		}
		return tellFresh(sp, mb, mark, spool.Notified, func(summary string) error {
			woke = true
			fmt.Fprintln(w, summary) // stderr, read by Claude Code when this exits 2
			return nil
		})
	})
	if woke && err == nil {
		return true, errWake
	}
	return false, err
}

// idsOf returns the ids of the messages summed up in ss.
func idsOf(ss []spool.Summary) []string {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.ID
	}
	return ids
}

// freshOf returns the messages of g that arrived after mark, oldest first.
func freshOf(g spool.Glance, mark time.Time) []spool.Summary {
	var fresh []spool.Summary
	for _, s := range g.Newest {
		if mark.IsZero() || s.Arrived.After(mark) {
			fresh = append(fresh, s)
		}
	}
	return fresh
}

// wakeSummary is what the woken model reads: who wrote, the subjects and
// ids, and how to read them.
func wakeSummary(name string, g spool.Glance, mark time.Time, fresh []spool.Summary) string {
	items := make([]string, 0, len(fresh))
	for _, s := range fresh {
		items = append(items, fmt.Sprintf("from %s %q (id %s)", summarySender(s), s.Subject, s.ID))
	}
	n := g.Since // new since the mark, of which fresh are the newest few
	if mark.IsZero() {
		n = g.Unread
	}
	n = max(n, len(fresh))
	if more := n - len(fresh); more > 0 {
		items = append(items, fmt.Sprintf("and %d older", more))
	}
	text := fmt.Sprintf("📬 %s for %s: %s.", plural(n, "new message"), name, strings.Join(items, "; "))
	if told := g.Unread - n; told > 0 {
		text += fmt.Sprintf(" %d more, told of before, also unread.", told)
	}
	return text + " Use the check tool (or `ipc check`) to read " + them(g.Unread) + "."
}

// mailArrivals reports, on the channel it returns, each time mail became
// unread in mb; it is closed when ctx ends or the follower stops.
func (a *App) mailArrivals(ctx context.Context, mb *spool.Mailbox) (<-chan struct{}, error) {
	return a.changes(ctx, func(fd *follow.Feed) error { return fd.Follow(mb.Name) })
}

// changes starts the process's follower, has add choose what its feed
// follows, and reports each event on the channel it returns, coalesced
// (one pending report is enough for a caller that looks again). The
// caller looks itself, once before any report and after each, so the
// feed reports arrivals by name and the follower reads no message for it.
// The channel is closed when ctx ends or the follower stops. Nothing is
// logged: a waking hook's stderr is read by the model.
func (a *App) changes(ctx context.Context, add func(*follow.Feed) error) (<-chan struct{}, error) {
	return a.changesOf(ctx, nil, add)
}

// changesOf is changes with the follower's file filter (nil: its
// default, unread mail only).
func (a *App) changesOf(ctx context.Context, filter func(dir, name string) bool, add func(*follow.Feed) error) (<-chan struct{}, error) {
	wo, err := a.watchOptions()
	if err != nil {
		return nil, err
	}
	wo.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	wo.Filter = filter
	sp, err := a.Spool()
	if err != nil {
		return nil, err
	}
	f, err := follow.New(ctx, sp, follow.Options{Watcher: wo})
	if err != nil {
		return nil, fmt.Errorf("follow the spool: %w", err)
	}
	fd := f.OpenWith(follow.FeedOptions{Arrivals: true, NamesOnly: true})
	if err := add(fd); err != nil {
		f.Close()
		return nil, fmt.Errorf("follow the spool: %w", err)
	}
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		defer f.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-fd.Events():
				if !ok {
					return
				}
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out, nil
}
