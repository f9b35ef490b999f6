// Package cli is ipc's command line: one cobra command per file, each a thin
// layer that parses flags, calls spool (or watcher, mcp) and prints.
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

// Exit codes, as DESIGN.md gives them.
const (
	ExitOK      = 0
	ExitTimeout = 1 // ipc wait timed out
	ExitUsage   = 2
	ExitRefused = 3 // a limit, a permission, a name taken
	ExitSpool   = 4 // the spool is unsafe, damaged or unavailable
)

// App holds the global options and the I/O every command uses. Tests build
// one with their own streams and environment.
type App struct {
	Home string // --home, else $IPC_HOME, else ~/.claude-ipc-data
	As   string // --as, else $IPC_NAME
	JSON bool   // --json

	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string

	sp *spool.Spool
}

// NewApp returns an App on the process's standard streams and environment.
func NewApp() *App {
	return &App{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv}
}

// commands lists the constructors of every subcommand; each lives in its
// own file.
var commands []func(*App) *cobra.Command

// register adds a subcommand constructor; each command file calls it from init.
func register(f func(*App) *cobra.Command) { commands = append(commands, f) }

// NewRootCmd builds the whole command tree afresh.
func NewRootCmd(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "ipc",
		Short: "Mail between AI agents and scripts on one machine",
		Long: `ipc delivers messages between AI agent sessions (Claude Code, Gemini CLI,
Windsurf) and shell scripts on one machine. Every message is a file in a
Maildir spool (~/.claude-ipc-data by default), delivered atomically and
seen by watchers within milliseconds. No server needs to run.

Your name comes from --as NAME or $IPC_NAME; the spool from --home DIR or
$IPC_HOME.`,
		Example: `  ipc --as alice register alice
  ipc --as alice send bob "build is green"
  ipc --as bob check
  echo "long report" | ipc --as alice send bob -`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.In)
	root.SetOut(a.Out)
	root.SetErr(a.Err)
	pf := root.PersistentFlags()
	pf.StringVar(&a.Home, "home", "", "spool directory (default $IPC_HOME or ~/.claude-ipc-data)")
	pf.StringVar(&a.As, "as", "", "your agent name (default $IPC_NAME)")
	pf.BoolVar(&a.JSON, "json", false, "print JSON for scripts")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	for _, f := range commands {
		root.AddCommand(f(a))
	}
	// An unknown subcommand is a usage error (exit 2), not cobra's plain error.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q", args[0])
		c.SuggestionsMinimumDistance = 2
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", s[0])
		}
		return usageErr(errors.New(msg))
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	return root
}

// Execute runs the command line and returns the process exit code.
func Execute() int {
	a := NewApp()
	root := NewRootCmd(a)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
	if !errors.Is(err, errSilent) {
		fmt.Fprintln(a.Err, "ipc:", err)
	}
	return code
}

// Spool opens the spool once and returns it.
func (a *App) Spool() (*spool.Spool, error) {
	if a.sp != nil {
		return a.sp, nil
	}
	root := a.Home
	if root == "" {
		root = a.Getenv("IPC_HOME")
	}
	if root == "" {
		var err error
		if root, err = spool.DefaultRoot(); err != nil {
			return nil, err
		}
	}
	sp, err := spool.Open(root)
	if err != nil {
		return nil, err
	}
	a.sp = sp
	return sp, nil
}

// Name returns the caller's agent name: --as, else $IPC_NAME.
func (a *App) Name() (string, error) {
	name := a.As
	if name == "" {
		name = a.Getenv("IPC_NAME")
	}
	if name == "" {
		return "", usageErr(errors.New("who are you? give --as NAME or set IPC_NAME"))
	}
	if err := spool.ValidName(name); err != nil {
		return "", usageErr(err)
	}
	return name, nil
}

// printJSON writes v as indented JSON followed by a newline.
func (a *App) printJSON(v any) error {
	enc := json.NewEncoder(a.Out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
