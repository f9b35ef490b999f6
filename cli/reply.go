package cli

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

func newReplyCmd(a *App) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "reply ID MESSAGE...",
		Short: "Answer a message in the same thread",
		Long: `Reply answers the message ID in your mailbox: it goes to that message's
sender, with In-Reply-To and References set so mail readers thread it, and
a subject "Re: …". The original is flagged as replied.

ID is any id 'ipc check' shows, or a unique prefix of it of at least 4
characters: ipc's own 12-digit ids, the file name of a message another
program delivered, or the Message-ID of mail written elsewhere (mutt, cron,
safecat), with or without <>. The message is the remaining arguments joined
by spaces, or stdin when the only one is '-'.`,
		Example: `  ipc --as bob check
  ipc --as bob reply 3f2a9c1b04de "on it"
  ipc --as bob reply 3f2a "done" --data '{"status":"done"}'
  ipc --as bob reply '<20261201.1234@laptop>' "thanks"`,
		Args:              argsRule(1, -1, "reply needs the ID of a message ('ipc check' shows it) and a MESSAGE (or - to read it from stdin)", ""),
		ValidArgsFunction: completeIDs(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReply(a, args[0], args[1:], data)
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "a JSON object to attach")
	return cmd
}

func runReply(a *App, id string, text []string, rawData string) error {
	reply := func(r *rules.Rules, from string, t input, data json.RawMessage) (spool.Receipt, error) {
		return r.ReplyDraft(id, t.draft(from, data))
	}
	return runComposed(a, text, rawData, reply, receiptPrinter("replied to"))
}

// completeIDs completes the first argument with the ids of the messages
// in the caller's mailbox, read or not, newest first, each described by
// its sender and subject. It never creates the spool, and marks nothing
// read.
func completeIDs(a *App) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		msgs := a.mailForCompletion()
		sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].Date.After(msgs[j].Date) })
		var out []cobra.Completion
		for _, m := range msgs {
			if !strings.HasPrefix(m.ID, toComplete) || strings.ContainsAny(m.ID, " \t\n") {
				continue
			}
			from := rules.Sender(m.From)
			out = append(out, cobra.CompletionWithDesc(m.ID, oneLine(from+": "+m.Subject)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// mailForCompletion returns every message in the caller's mailbox, or
// none when the name, the spool or the mailbox is unknown.
func (a *App) mailForCompletion() []*spool.Message {
	name, err := a.Name()
	if err != nil {
		return nil
	}
	sp, err := a.existingSpool()
	if err != nil || sp == nil {
		return nil
	}
	mb, err := sp.Mailbox(name)
	if err != nil || !mb.Exists() {
		return nil
	}
	msgs, _ := mb.Check(spool.CheckOptions{Peek: true, All: true})
	return msgs
}

// oneLine makes s fit a completion description: printable, one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(printable(s)), " ")
}
