package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

func newBroadcastCmd(a *App) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "broadcast MESSAGE...",
		Short: "Send one message to every other mailbox",
		Long: `Broadcast delivers one copy of the message to every mailbox in the spool
but yours (a renamed name's copy goes to its new name). The message is the
arguments joined by spaces, or stdin when the only one is '-'.

It counts once against your rate limit. With no other mailbox yet it is
refused (exit 3).`,
		Example: `  ipc --as alice broadcast "deploying main in 5 min, hold merges"
  ipc --as ci broadcast --data '{"build":1234,"ok":false}' "build 1234 failed"`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBroadcast(a, args, data)
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "a JSON object to attach")
	return cmd
}

func runBroadcast(a *App, text []string, rawData string) error {
	broadcast := func(r *rules.Rules, from string, t input, data json.RawMessage) (spool.Receipt, error) {
		return r.BroadcastDraft(t.draft(from, data))
	}
	return runComposed(a, text, rawData, broadcast, printBroadcast)
}
