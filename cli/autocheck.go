package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

func init() { register(newAutoCheckCmd) }

func newAutoCheckCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auto-check start [MINUTES] | stop | status",
		Short: "Turn automatic mail checking on or off for your name",
		Long: `Auto-check is the seed's "start auto checking N": while it is on, your
agent processes mail without being asked. Its state (on or off, the
interval of 1 to 60 minutes, default 5, the last check) is kept in the
spool, so every process sees it: the MCP tool auto_process checks on that
interval, and the Stop hook ('ipc hook Stop') keeps the agent working while
mail waits — only while auto-check is on.

With the hooks installed ('ipc hook', see the README) mail is seen the
moment it arrives: the interval only paces auto_process.`,
		Example: `  ipc --as bob auto-check start      # every 5 minutes
  ipc --as bob auto-check start 15
  ipc --as bob auto-check status --json
  ipc --as bob auto-check stop`,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "start [MINUTES]",
			Short: "Turn auto-check on, every MINUTES (1 to 60, default 5)",
			Args:  usageArgs(cobra.MaximumNArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				minutes := spool.DefaultAutoCheckMinutes
				if len(args) == 1 {
					n, err := strconv.Atoi(args[0])
					if err != nil || n < spool.MinAutoCheckMinutes || n > spool.MaxAutoCheckMinutes {
						return usageErr(fmt.Errorf("auto-check start %s: give the minutes between checks, 1 to 60", args[0]))
					}
					minutes = n
				}
				return runAutoCheck(a, func(sp *spool.Spool, name string) (spool.AutoCheck, error) {
					return sp.StartAutoCheck(name, minutes)
				})
			},
		},
		&cobra.Command{
			Use:   "stop",
			Short: "Turn auto-check off",
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, args []string) error {
				return runAutoCheck(a, (*spool.Spool).StopAutoCheck)
			},
		},
		&cobra.Command{
			Use:   "status",
			Short: "Say whether auto-check is on, its interval and the last check",
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, args []string) error {
				return runAutoCheck(a, (*spool.Spool).AutoCheck)
			},
		},
	)
	cmd.Args = usageArgs(cobra.NoArgs)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return usageErr(errors.New("auto-check: say start [MINUTES], stop or status"))
	}
	return cmd
}

// runAutoCheck applies do to the caller's auto-check state and prints the
// result.
func runAutoCheck(a *App, do func(*spool.Spool, string) (spool.AutoCheck, error)) error {
	name, err := a.Name()
	if err != nil {
		return err
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	ac, err := do(sp, name)
	if err != nil {
		return err
	}
	if cur, err := sp.AutoCheck(name); err == nil {
		ac.LastCheck = cur.LastCheck // it counts reads by any reader too
	}
	if a.JSON {
		return a.printJSON(ac)
	}
	state := "off for " + name
	if ac.Enabled {
		state = fmt.Sprintf("on for %s, every %d min", name, ac.IntervalMinutes)
	}
	now := sp.Now()
	for _, kv := range [][2]string{
		{"auto-check", state},
		{"last check", relTime(now, ac.LastCheck)},
		{"last block", relTime(now, ac.LastBlock)},
		{"hooks", "with 'ipc hook' installed in Claude Code, mail is seen the instant it arrives"},
	} {
		fmt.Fprintf(a.Out, "%-11s %s\n", kv[0]+":", kv[1])
	}
	return nil
}
