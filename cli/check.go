package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

func init() { register(newCheckCmd) }

func newCheckCmd(a *App) *cobra.Command {
	var o spool.CheckOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Print your unread messages and mark them read",
		Long: `Check prints the unread messages in your mailbox, oldest first, and marks
them read (each moves from new/ to cur/, so when two readers race every
message goes to exactly one). An empty inbox prints "No new messages" and
exits 0.

Each message is a block: its id (for 'ipc reply'), sender, age and subject,
then the text indented, the attached data as JSON and, for a large
message, the file holding the full text.

--json prints an array of messages with the fields id, from, to, date,
subject, body, data, in_reply_to, references, large_file, large_size,
path and flags.`,
		Example: `  ipc --as bob check
  ipc --as bob check --peek          # look without marking read
  ipc --as bob check --all --limit 5 # read mail too
  IPC_NAME=bob ipc check --json | jq -r '.[].body'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Limit < 0 {
				return usageErr(errors.New("--limit must be 0 (no limit) or more"))
			}
			return runCheck(a, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Peek, "peek", false, "leave the messages unread")
	f.BoolVar(&o.All, "all", false, "include messages already read")
	f.IntVar(&o.Limit, "limit", 0, "at most N unread messages, oldest first (0: all)")
	return cmd
}

func runCheck(a *App, o spool.CheckOptions) error {
	name, err := a.Name()
	if err != nil {
		return err
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	mb, err := sp.Mailbox(name)
	if err != nil {
		return err
	}
	msgs, err := mb.Check(o)
	if err != nil {
		if len(msgs) == 0 {
			return fmt.Errorf("check %s: %w", name, err)
		}
		// The messages returned are good; what went wrong concerns other
		// files, which the spool has moved aside.
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(a.Err, "ipc: warning:", line)
		}
	}
	if a.JSON {
		if msgs == nil {
			msgs = []*spool.Message{}
		}
		return a.printJSON(msgs)
	}
	if len(msgs) == 0 {
		if o.All {
			fmt.Fprintln(a.Out, "No messages")
		} else {
			fmt.Fprintln(a.Out, "No new messages")
		}
		return nil
	}
	printMessages(a.Out, msgs, a.color())
	return nil
}
