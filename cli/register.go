package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// registerResult is the --json output of ipc register.
type registerResult struct {
	Name    string `json:"name"`
	Waiting int    `json:"waiting"` // unread messages in the mailbox
	Mailbox string `json:"mailbox"` // the Maildir directory
	// EndedForward is where mail to the name went (it had been renamed)
	// until this register ended the forward.
	EndedForward string `json:"ended_forward,omitempty"`
}

func newRegisterCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "register NAME",
		Short: "Claim a name and create its mailbox",
		Long: `Register claims NAME, creating its mailbox, and says how many messages
are already waiting for it (mail may be sent to a name before it exists).

The claim lasts only while a process holds it: this command releases it as
it exits. A long-running process (ipc watch, ipc mcp) holds the name and
shows it online in 'ipc list'. Registering is refused (exit 3) while another
live process holds NAME. A name that differs only in case from a known one
is that name ("Claude" registers the existing "claude"). Registering a name
that was renamed ends its forward, and says so: new mail to it stays with it.

NAME is 1 to 32 letters, digits, '-' or '_'. Afterwards, tell every ipc
command who you are with --as NAME or 'export IPC_NAME=NAME'.`,
		Example: `  ipc register alice
  export IPC_NAME=alice
  ipc register alice --json`,
		Args:              argsRule(1, 1, "register needs the NAME to claim", "register takes one NAME"),
		ValidArgsFunction: completeNames(a, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRegister(a, args[0])
		},
	}
}

func runRegister(a *App, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	o, err := sp.Claim(name)
	if err != nil {
		return err // a name held elsewhere: the error says by whom and what to do
	}
	name = o.Name // "Claude" is the known "claude"
	mb, err := sp.Mailbox(name)
	if err != nil {
		o.Release()
		return err
	}
	waiting, err := mb.Unread()
	if rerr := o.Release(); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("register %s: %w", name, err)
	}
	ended := ""
	if o.EndedForward != nil {
		ended = o.EndedForward.To
	}
	if a.JSON {
		return a.printJSON(registerResult{Name: name, Waiting: waiting, Mailbox: mb.Dir, EndedForward: ended})
	}
	if ended != "" {
		fmt.Fprintf(a.Out, "%s had been renamed to %s; registering %s again ends that forward: new mail to %s stays with %s, "+
			"and mail already forwarded stays with %s.\n", name, ended, name, name, name, ended)
	}
	switch waiting {
	case 0:
		fmt.Fprintf(a.Out, "Registered %s. No messages waiting.\n", name)
	default:
		fmt.Fprintf(a.Out, "Registered %s. %s waiting: run 'ipc --as %s check'.\n",
			name, plural(waiting, "message"), name)
	}
	if who, _ := a.Name(); who != name {
		fmt.Fprintf(a.Out, "Tell ipc who you are: export IPC_NAME=%s (or pass --as %s).\n", name, name)
	}
	return nil
}
