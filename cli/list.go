package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

func newListCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls", "who"},
		Short:   "List every name: online or not, unread, last seen, forwards",
		Long: `List shows every name in the spool: whether a live process holds it
(online, with its pid), how many messages wait unread, when it was last
active, and where its mail is forwarded if it was renamed.

A name is online while a long-running process (ipc watch, ipc mcp) holds
it; "never registered" names have mail waiting for them but no owner yet.
With a bridge to other hosts (ipc bridge), their names follow as
NAME@HOST, as the bridge last saw them; a host whose bridge stopped
drops out of the list within two minutes.

--json prints an array of objects with the fields name, online, pid,
unread, last_seen, registered, forward ({"to", "until"}) and error (why
a mailbox could not be looked at). A mailbox that cannot be read, such as
one whose permissions shut you out, is listed as unreadable and ipc list
exits with the error: it is never shown as empty or never registered.`,
		Example: `  ipc list
  ipc list --json | jq -r '.[] | select(.online) | .name'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(a)
		},
	}
}

func runList(a *App) error {
	sp, err := a.existingSpool()
	if err != nil {
		return err
	}
	var infos []spool.NameInfo
	var listErr error // mailboxes that could not be looked at: listed, then the error
	if sp == nil {
		a.noSpool("")
	} else if infos, listErr = sp.List(); listErr != nil && infos == nil {
		return listErr
	} else {
		infos = append(infos, sp.FleetInfos()...)
	}
	if a.JSON {
		if infos == nil {
			infos = []spool.NameInfo{}
		}
		return errors.Join(a.printJSON(infos), listErr)
	}
	if len(infos) == 0 {
		if sp != nil {
			fmt.Fprintln(a.Err, "No mailboxes yet: run 'ipc register NAME' or send to a name.")
		}
		return nil
	}
	return errors.Join(printNameTable(a.Out, infos, sp.Now()), listErr)
}

// printNameTable writes the aligned table of ipc list.
func printNameTable(w io.Writer, infos []spool.NameInfo, now time.Time) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tUNREAD\tLAST SEEN\tFORWARD")
	for _, n := range infos {
		status := "offline"
		switch {
		case n.Error != "":
			status = "unreadable (see below)"
		case n.Online:
			status = fmt.Sprintf("online pid %d", n.PID)
		case !n.Registered:
			status = "never registered"
		}
		seen := "-"
		if !n.LastSeen.IsZero() {
			seen = relTime(now, n.LastSeen)
		}
		fwd := ""
		if n.Forward != nil {
			fwd = fmt.Sprintf("→ %s until %s", n.Forward.To, n.Forward.Until.Local().Format("15:04"))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", n.Name, status, n.Unread, seen, fwd)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line != "" {
			fmt.Fprintln(w, strings.TrimRight(line, " \n"))
		}
	}
	return nil
}
