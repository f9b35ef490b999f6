package cli

import (
	"github.com/spf13/cobra"
)

func init() { register(newReplyCmd) }

func newReplyCmd(a *App) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "reply ID MESSAGE...",
		Short: "Answer a message in the same thread",
		Long: `Reply answers the message ID in your mailbox: it goes to that message's
sender, with In-Reply-To and References set so mail readers thread it, and
a subject "Re: …". The original is flagged as replied.

ID is the id 'ipc check' shows (at least its first 4 characters). The
message is the remaining arguments joined by spaces, or stdin when the only
one is '-'.`,
		Example: `  ipc --as bob check
  ipc --as bob reply 3f2a9c1b04de "on it"
  ipc --as bob reply 3f2a "done" --data '{"status":"done"}'`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReply(a, args[0], args[1:], data)
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "a JSON object to attach")
	return cmd
}

func runReply(a *App, id string, text []string, rawData string) error {
	from, err := a.Name()
	if err != nil {
		return err
	}
	data, err := parseData(rawData)
	if err != nil {
		return err
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
	rc, err := sp.Reply(from, id, body, data)
	return reportSent(a, sp, from, "replied to", rc, err)
}
