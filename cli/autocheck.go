package cli

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/spool"
)

func newAutoCheckCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auto-check start [MINUTES] | stop | status",
		Short: "Turn automatic mail checking on or off for your name",
		Long: `Auto-check is the original tool's "start auto checking N": while it is on, your
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
			Args:  argsRule(0, 1, "", "auto-check start takes at most the MINUTES between checks"),
			RunE: func(cmd *cobra.Command, args []string) error {
				minutes := awareness.DefaultAutoCheckMinutes
				if len(args) == 1 {
					n, err := strconv.Atoi(args[0])
					if err != nil || awareness.CheckInterval(n) != nil {
						return usageErr(fmt.Errorf("auto-check start %s: give the minutes between checks, 1 to 60", args[0]))
					}
					minutes = n
				}
				return runAutoCheck(a, func(aw *awareness.Awareness, name string) (awareness.AutoCheck, error) {
					return aw.StartAutoCheck(name, minutes)
				})
			},
		},
		&cobra.Command{
			Use:   "stop",
			Short: "Turn auto-check off",
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return runAutoCheck(a, (*awareness.Awareness).StopAutoCheck)
			},
		},
		&cobra.Command{
			Use:   "status",
			Short: "Say whether auto-check is on, its interval and the last check",
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return runAutoCheck(a, nil)
			},
		},
	)
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErr(fmt.Errorf("auto-check: say start [MINUTES], stop or status, not %q", args[0]))
		}
		return usageErr(errors.New("auto-check: say start [MINUTES], stop or status"))
	}
	return cmd
}

// runAutoCheck applies change to the caller's auto-check state and prints
// the result; a nil change only reads the state, and creates no spool.
func runAutoCheck(a *App, change func(*awareness.Awareness, string) (awareness.AutoCheck, error)) error {
	name, err := a.Name()
	if err != nil {
		return err
	}
	var sp *spool.Spool
	if change == nil {
		sp, err = a.existingSpool()
	} else {
		sp, err = a.Spool()
	}
	if err != nil {
		return err
	}
	// With no spool yet, auto-check is off, as for any name never set.
	ac, now := awareness.AutoCheck{Name: name, IntervalMinutes: awareness.DefaultAutoCheckMinutes}, time.Now()
	if sp != nil {
		now = sp.Now()
		aw := awareness.New(sp)
		if change == nil {
			change = (*awareness.Awareness).AutoCheck
		}
		if ac, err = change(aw, name); err != nil {
			return err
		}
		if cur, err := aw.AutoCheck(name); err == nil {
			ac.LastCheck = cur.LastCheck // it counts reads by any reader too
		}
	}
	if a.JSON {
		return a.printJSON(ac)
	}
	state := "off for " + name
	if ac.Enabled {
		state = fmt.Sprintf("on for %s, every %d min", name, ac.IntervalMinutes)
	}
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
