package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

type shareCommandOptions struct {
	timeout     time.Duration
	description string
}

// shareCommandResult is the --json output of ipc share-command.
type shareCommandResult struct {
	spool.Receipt
	ExitCode int  `json:"exit_code"`
	TimedOut bool `json:"timed_out"`
}

func newShareCommandCmd(a *App) *cobra.Command {
	var o shareCommandOptions
	cmd := &cobra.Command{
		Use:   "share-command TO -- ARGV...",
		Short: "Run a command and send its output",
		Long: `Share-command runs a command, with stdin closed and a time limit (30 s by
default), and sends TO its exit code, stdout and stderr (each cut at
64 KiB, saying so). The message carries data {"type": "command",
"command", "exit_code", "stdout", "stderr", "timed_out", "description"}.

Give the command after '--' as separate words, or as one string that is
split like a POSIX shell would split it (quotes and backslashes work).
No shell runs: pipes, redirections and '$' are refused; to use them, share
"sh -c '...'" explicitly. A command killed at the time limit has
timed_out true and exit code 137; a command killed by a signal N has
exit code 128+N, as in a shell.`,
		Example: `  ipc --as alice share-command bob -- go test ./...
  ipc --as alice share-command bob "git log --oneline -5"
  ipc --as alice share-command bob --timeout 2m -d "full suite" -- make test
  ipc --as alice share-command bob -- sh -c 'df -h | sort -k5'`,
		Args: argsRule(2, -1, "share-command needs TO and the command to run, after --", ""),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return completeNames(a, true)(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveDefault // the command's words may be files
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.timeout <= 0 {
				return usageErr(errors.New("--timeout must be positive, like 30s or 2m"))
			}
			return runShareCommand(cmd.Context(), a, o, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.timeout, "timeout", share.DefaultTimeout, "kill the command after this long")
	f.StringVarP(&o.description, "description", "d", "", "what the command shows")
	return cmd
}

func runShareCommand(ctx context.Context, a *App, o shareCommandOptions, to string, args []string) error {
	from, names, err := a.fromTo(to)
	if err != nil {
		return err
	}
	line, argv, err := share.Command(args)
	if err != nil {
		return usageErr(err)
	}
	sp, err := a.Spool() // before running: a command is not run for nothing
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := share.RunCommand(ctx, line, argv, o.timeout)
	if err != nil {
		return usageErr(fmt.Errorf("run %s: %w; nothing was sent", argv[0], err))
	}
	subject, body, data := res.Message(o.description)
	rc, err := rules.New(sp).Send(spool.Draft{From: from, To: names, Subject: subject, Body: body, Data: data})
	if !a.JSON {
		fmt.Fprintf(a.Out, "ran %s: %s\n", line, res.Outcome())
	}
	result := shareCommandResult{Receipt: rc, ExitCode: res.ExitCode, TimedOut: res.TimedOut}
	return reportSentAs(a, rc, err, result, receiptPrinter("sent to"))
}
