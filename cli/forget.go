package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

func newForgetCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "forget NAME",
		Short: "Remove an offline or never-registered mailbox, its mail kept in quarantine/",
		Long: `Forget removes the mailbox of NAME: a name that was never registered (mail
sent to a typo, or to "Claude" before names ignored case) or one whose
process is gone. Its mail, read and unread, is first moved to quarantine/
with a .why file saying so, so nothing is deleted; then the mailbox, its
forward and its last-seen record go, and 'ipc list' no longer shows it.

A name a live process holds (an 'ipc mcp', an 'ipc watch') is refused
(exit 3): stop that process first. Forget is for people: no MCP tool
offers it. Mail sent to NAME afterwards makes a fresh mailbox.

--json prints {"name", "quarantined": N, "registered", "forward"}.`,
		Example: `  ipc forget Claude
  ipc forget old-bot --json`,
		Args:              argsRule(1, 1, "forget needs the NAME whose mailbox to remove", "forget takes one NAME"),
		ValidArgsFunction: completeNames(a, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runForget(a, args[0])
		},
	}
}

func runForget(a *App, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	sp, err := a.existingSpool()
	if err != nil {
		return err
	}
	if sp == nil {
		return fmt.Errorf("%w: %s, so no mailbox %s to forget", spool.ErrNotFound, a.noSpoolText(), name)
	}
	f, err := sp.Forget(name)
	if err != nil {
		return err
	}
	if a.JSON {
		return a.printJSON(f)
	}
	fmt.Fprintf(a.Out, "Forgot %s: %s moved to quarantine/ (see 'ipc status').\n", f.Name, plural(f.Quarantined, "message"))
	if f.Forward != "" {
		fmt.Fprintf(a.Out, "Its forward to %s is gone too: mail to %s makes a new mailbox.\n", f.Forward, f.Name)
	}
	return nil
}
