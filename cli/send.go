package cli

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

func init() { register(newSendCmd) }

type sendOptions struct {
	subject string
	data    string
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
and the message carries a summary and the path.

--data attaches a JSON object that travels with the message (shown by
'ipc check', returned whole by 'ipc check --json').

Refused with exit 3 when you have sent too many messages in the last minute
(100 by default, IPC_RATE_LIMIT) or the recipient has too many unread
(10,000, IPC_MAX_UNREAD); the error says when to retry.`,
		Example: `  ipc --as alice send bob "build is green"
  ipc --as alice send bob,carol "standup in 5 min"
  git diff | ipc --as alice send bob -
  ipc --as alice send bob --subject "CI" --data '{"run":42,"ok":true}' "run 42 passed"`,
		Args:              argsRule(1, -1, "send needs TO and a MESSAGE (or - to read it from stdin)", ""),
		ValidArgsFunction: completeNames(a, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSend(a, o, args[0], args[1:])
		},
	}
	cmd.Flags().StringVarP(&o.subject, "subject", "s", "", "subject line (default: the first line of the message)")
	cmd.Flags().StringVar(&o.data, "data", "", "a JSON object to attach")
	return cmd
}

func runSend(a *App, o sendOptions, to string, text []string) error {
	from, err := a.Name()
	if err != nil {
		return err
	}
	names, err := recipients(to)
	if err != nil {
		return err
	}
	data, err := parseData(o.data)
	if err != nil {
		return err
	}
	if !utf8.ValidString(o.subject) {
		return usageErr(errors.New("--subject is not UTF-8 text"))
	}
	body, err := messageText(a, text)
	if err != nil {
		return err
	}
	if err := checkNotEmpty(body, data); err != nil {
		return err
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	rc, err := sp.Send(spool.Draft{From: from, To: names, Subject: o.subject, Body: body, Data: data})
	return reportSent(a, sp, from, rc, err, receiptPrinter("sent to"))
}

// receiptPrinter prints a receipt line by line with printReceipt.
func receiptPrinter(verb string) func(io.Writer, spool.Receipt) {
	return func(w io.Writer, rc spool.Receipt) { printReceipt(w, verb, rc) }
}

// reportSent prints what a send, reply or broadcast did (also the part of
// a multi-recipient send that succeeded before an error), for people with
// human or as JSON, and records the sender's activity.
func reportSent(a *App, sp *spool.Spool, from string, rc spool.Receipt, err error, human func(io.Writer, spool.Receipt)) error {
	err = explainDisk(err)
	if len(rc.Delivered) > 0 {
		sp.Touch(from)
		if a.JSON {
			if jerr := a.printJSON(rc); jerr != nil {
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
