package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

// renameResult is the --json output of ipc rename.
type renameResult struct {
	Old          string `json:"old"`
	New          string `json:"new"`
	ForwardUntil string `json:"forward_until"` // RFC 3339
}

func newRenameCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "rename NEW",
		Short: "Rename yourself; mail to the old name is forwarded",
		Long: `Rename moves your name (--as or $IPC_NAME) to NEW: your messages move to
NEW's mailbox, mail sent to the old name is forwarded to NEW for 2 hours,
and every other mailbox gets a notice "📝 OLD renamed to NEW".

A name may be renamed once an hour (exit 3 otherwise, saying when). While
another live process holds the old name (an MCP server, ipc watch), rename
from that session instead: this command refuses with exit 3.`,
		Example: `  ipc --as alice rename alice-reviewer
  export IPC_NAME=alice-reviewer`,
		Args:              argsRule(1, 1, "rename needs your NEW name", "rename takes one NEW name"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRename(a, args[0])
		},
	}
}

func runRename(a *App, newName string) error {
	old, err := a.Name()
	var held *spool.HeldError
	if errors.As(err, &held) {
		return heldForRename(held.Name, held.Holder.PID)
	}
	if err != nil {
		return err
	}
	if err := validName(newName); err != nil {
		return err
	}
	if newName == old {
		return usageErr(fmt.Errorf("you are already %s", old))
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	o, err := sp.Claim(old)
	var taken *spool.TakenError
	if errors.As(err, &taken) {
		return heldForRename(old, taken.PID)
	}
	if err != nil {
		return err
	}
	no, err := sp.Rename(o, newName)
	if err != nil {
		o.Release()
		return err
	}
	defer no.Release()
	now := sp.Now()
	until := now.Add(sp.Config.ForwardFor)
	if f, ok := sp.Forward(old); ok {
		until = f.Until
	}
	if a.JSON {
		return a.printJSON(renameResult{Old: old, New: newName, ForwardUntil: until.Format(time.RFC3339)})
	}
	fmt.Fprintf(a.Out, "Renamed %s to %s. Mail to %s is forwarded until %s. Use --as %s from now on.\n",
		old, newName, old, untilText(now, until), newName)
	if a.Getenv("IPC_NAME") == old {
		fmt.Fprintf(a.Out, "Your shell has IPC_NAME=%s: export IPC_NAME=%s\n", old, newName)
	}
	return nil
}

// heldForRename refuses renaming a name another live process holds. The
// spool's own advice, to choose another name, does not fit here.
func heldForRename(name string, pid int) error {
	held := "another live process"
	if pid > 0 {
		held = fmt.Sprintf("live process %d", pid)
	}
	return fmt.Errorf("%w: %s is held by %s; rename from that session (its MCP rename tool), or stop that process first",
		spool.ErrNameTaken, name, held)
}
