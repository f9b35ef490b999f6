package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

// waitForOptions are send's --wait-for and --timeout.
type waitForOptions struct {
	state   string        // "" for no wait
	timeout time.Duration // 0: for ever
}

// sentProgress is the --json output of a send that waited: the receipt
// and how far each copy got.
type sentProgress struct {
	spool.Receipt
	Progress []spool.Progress `json:"progress"`
}

// parseWaitFor checks --wait-for before anything is sent.
func (o waitForOptions) parse() (spool.State, bool, error) {
	if o.state == "" {
		return 0, false, nil
	}
	st, err := spool.ParseState(o.state)
	if err != nil {
		return 0, false, usageErr(fmt.Errorf("--wait-for: %w", err))
	}
	if o.timeout < 0 {
		return 0, false, errNegativeTimeout
	}
	return st, true, nil
}

// awaitState waits until every local copy of rc reached want, following
// the mailboxes' directories (no polling), and reports the progress:
// exit 0 when reached, ExitTimeout when the time ran out first.
func awaitState(ctx context.Context, a *App, sp *spool.Spool, rc spool.Receipt, want spool.State, timeout time.Duration) error {
	r := rules.New(sp)
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	changed, err := a.changesOf(ctx, everyFile, func(fd *follow.Feed) error {
		for _, dir := range r.WatchDirs(rc) {
			if err := fd.Watch(dir); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		return err
	}
	// The time ran out while the watch was starting (the follower then
	// says it is closed): that is a timeout like any other, and WaitFor,
	// with ctx done, looks once and says so.
	ps, err := r.WaitFor(ctx, rc, want, changed)
	if a.JSON {
		if jerr := a.printJSON(sentProgress{Receipt: rc, Progress: ps}); jerr != nil {
			return jerr
		}
	} else {
		printProgress(a.Out, ps)
	}
	if errors.Is(err, rules.ErrNotReached) {
		if sig, ok := signalOf(ctx); ok {
			return &exitError{code: sig.exitCode(), err: fmt.Errorf("interrupted: not %s yet", want)}
		}
		return &exitError{code: ExitTimeout, err: fmt.Errorf("not %s within %s", want, timeout)}
	}
	return err
}

// everyFile reports every file: a message read (S flag in cur/), which a
// follower leaves out by default, is what a wait for "read" waits for.
func everyFile(dir, name string) bool { return true }

// printProgress prints one line per copy: "bob: read (stored 15:04:05, surfaced 15:04:07)".
func printProgress(w io.Writer, ps []spool.Progress) {
	for _, p := range ps {
		var times []string
		for st := spool.Stored; st <= spool.Replied; st++ {
			if at, ok := p.At[st.String()]; ok {
				times = append(times, st.String()+" "+at.Local().Format("15:04:05"))
			}
		}
		line := p.Mailbox + ": " + p.State.String()
		if len(times) > 0 {
			line += " (" + strings.Join(times, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
}
