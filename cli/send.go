package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

type sendOptions struct {
	subject string
	data    string
	wait    waitForOptions
}

func newSendCmd(a *App) *cobra.Command {
	var o sendOptions
	cmd := &cobra.Command{
		Use:   "send TO MESSAGE...",
		Short: "Send a message to one or more names",
		Long: `Send delivers one message to TO, a name or a comma-separated list of names.
The message is the remaining arguments joined by spaces, or stdin when the
only one is '-'.

A name that has never registered gets the message all the same: it waits
in its mailbox until the name registers. Mail to a renamed name is
forwarded to the new name. A body over 10 KiB is saved whole under large/
and the message carries a summary and the path; a long text on stdin goes
there as it is read, so ipc holds its first part, not all of it. A message
is at most 64 MiB.

--data attaches a JSON object that travels with the message (shown by
'ipc check', returned whole by 'ipc check --json').

Refused with exit 3 when you have sent too many messages in the last minute
(100 by default, IPC_RATE_LIMIT) or the recipient has too many unread
(10,000, IPC_MAX_UNREAD); the error says when to retry.

--wait-for STATE waits, after sending, until every copy got that far:
stored, notified (pushed, or the session woken), surfaced (it reached the
model's context), read, acknowledged (a read receipt went back) or
replied; it prints how far each got and exits 1 when --timeout passes
first. It follows the recipients' mailboxes (no polling). A copy sent to
another host is not seen and not waited for.`,
		Example: `  ipc --as alice send bob "build is green"
  ipc --as alice send bob,carol "standup in 5 min"
  git diff | ipc --as alice send bob -
  ipc --as alice send bob --subject "CI" --data '{"run":42,"ok":true}' "run 42 passed"
  ipc --as alice send bob --wait-for read --timeout 5m "ready to merge?"`,
		Args:              argsRule(1, -1, "send needs TO and a MESSAGE (or - to read it from stdin)", ""),
		ValidArgsFunction: completeNames(a, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSend(cmd.Context(), a, o, args[0], args[1:])
		},
	}
	cmd.Flags().StringVarP(&o.subject, "subject", "s", "", "subject line (default: the first line of the message)")
	cmd.Flags().StringVar(&o.wait.state, "wait-for", "", "after sending, wait until each copy is `STATE` (notified, surfaced, read, acknowledged, replied)")
	cmd.Flags().DurationVar(&o.wait.timeout, "timeout", 5*time.Minute, "with --wait-for: give up after this long (0: for ever)")
	cmd.Flags().StringVar(&o.data, "data", "", "a JSON object to attach")
	return cmd
}

func runSend(ctx context.Context, a *App, o sendOptions, to string, text []string) error {
	want, waiting, err := o.wait.parse()
	if err != nil {
		return err
	}
	from, names, err := a.fromTo(to)
	if err != nil {
		return err
	}
	data, err := parseData(o.data)
	if err != nil {
		return err
	}
	if err := share.TextProblem([]byte(o.subject)); err != nil {
		return usageErr(fmt.Errorf("--subject %w", err))
	}
	var sent spool.Receipt
	var sentBy *rules.Rules
	send := func(r *rules.Rules, from string, t input, data json.RawMessage) (spool.Receipt, error) {
		d := t.draft(from, data)
		d.To, d.Subject = names, o.subject
		rc, err := r.Send(d)
		sent, sentBy = rc, r
		return rc, err
	}
	if !waiting {
		return sendText(a, from, text, data, send, receiptPrinter("sent to"))
	}
	// With --json the one document comes at the end, with the progress.
	quiet := *a
	if a.JSON {
		quiet.Out = io.Discard
	}
	if err := sendText(&quiet, from, text, data, send, receiptPrinter("sent to")); err != nil {
		return err
	}
	ctx, stop := signalContext(ctx)
	defer stop()
	return awaitState(ctx, a, sentBy.Spool(), sent, want, o.wait.timeout)
}

// fromTo returns the caller's name and the checked names of a
// comma-separated list of recipients: who sends, and to whom.
func (a *App) fromTo(to string) (from string, names []string, err error) {
	if from, err = a.Name(); err != nil {
		return "", nil, err
	}
	if names, err = recipients(to); err != nil {
		return "", nil, err
	}
	return from, names, nil
}

// deliverFunc puts a checked message from from into the spool by the
// rules (which record the sender's activity): a send, a reply or a
// broadcast, each given a text that may stream (t.draft).
type deliverFunc func(r *rules.Rules, from string, t input, data json.RawMessage) (spool.Receipt, error)

// runComposed is the whole of reply and broadcast: the caller's name,
// --data checked, then sendText.
func runComposed(a *App, text []string, rawData string, deliver deliverFunc, human func(io.Writer, spool.Receipt)) error {
	from, err := a.Name()
	if err != nil {
		return err
	}
	data, err := parseData(rawData)
	if err != nil {
		return err
	}
	return sendText(a, from, text, data, deliver, human)
}

// sendText reads the message (the arguments, or stdin for "-", as a
// stream when it is long), refuses one with neither text
// nor data before the spool is touched, opens the spool, has deliver put
// the message in it and reports what was delivered. A streamed text the
// spool stopped reading for its own fault (a bad byte, too long, blank) is
// refused as a short one would be.
func sendText(a *App, from string, args []string, data json.RawMessage, deliver deliverFunc, human func(io.Writer, spool.Receipt)) error {
	t, err := readText(a, args)
	if err != nil {
		return err
	}
	if t.tr == nil {
		if err := checkNotEmpty(t.body, data); err != nil {
			return err
		}
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	rc, err := deliver(rules.New(sp), from, t, data)
	if p := t.problem(err); err != nil && p != nil {
		err = p
	}
	return reportSent(a, rc, err, human)
}

// receiptPrinter prints a receipt line by line with printReceipt.
func receiptPrinter(verb string) func(io.Writer, spool.Receipt) {
	return func(w io.Writer, rc spool.Receipt) { printReceipt(w, verb, rc) }
}

// reportSent prints what a send, reply or broadcast did (also the part of
// a multi-recipient send that succeeded before an error), for people with
// human or as JSON.
func reportSent(a *App, rc spool.Receipt, err error, human func(io.Writer, spool.Receipt)) error {
	return reportSentAs(a, rc, err, rc, human)
}

// reportSentAs is reportSent printing asJSON in place of the receipt
// for --json.
func reportSentAs(a *App, rc spool.Receipt, err error, asJSON any, human func(io.Writer, spool.Receipt)) error {
	err = explainDisk(err)
	if len(rc.Delivered) > 0 {
		if a.JSON {
			if jerr := a.printJSON(asJSON); jerr != nil {
				return errors.Join(err, jerr)
			}
		} else {
			human(a.Out, rc)
		}
	}
	return err
}

// explainDisk adds what to do to an error from a full or read-only disk.
func explainDisk(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w; nothing was delivered there: free some space on the spool's disk and try again", err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w; the spool's disk is read-only: set IPC_HOME to a writable directory", err)
	}
	return err
}
