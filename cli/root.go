// Package cli is ipc's command line: one cobra command per file, each a thin
// layer that parses flags, calls spool (or watcher, mcp) and prints.
//
// cli is a front end: it parses, calls and formats, and decides nothing
// about mail (rules does, spool enforces the limits). It must not import
// fsnotify or mcp-go; it learns of mail through a follow.Feed
// (ARCHITECTURE.md).
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	As   string // --as, else $IPC_NAME, else found by ancestry (see Name)
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

// commands returns the constructors of every subcommand, each in its own
// file. The tree is wired here, explicitly, not by init functions: a new
// command is one more line below.
func commands() []func(*App) *cobra.Command {
	return []func(*App) *cobra.Command{
		newRegisterCmd,
		newSendCmd,
		newReplyCmd,
		newBroadcastCmd,
		newCheckCmd,
		newWaitCmd,
		newWatchCmd,
		newListCmd,
		newRenameCmd,
		newForgetCmd,
		newShareFileCmd,
		newShareCommandCmd,
		newAutoCheckCmd,
		newHookCmd,
		newDaemonCmd,
		newMCPCmd,
		newDoCmd,
		newStatusCmd,
		newDoctorCmd,
		newWhoamiCmd,
		newSearchCmd,
		newUICmd,
		newBridgeCmd,
		newSendmailCmd,
		newIMAPCmd,
	}
}

// NewRootCmd builds the whole command tree afresh.
func NewRootCmd(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "ipc",
		Short: "Mail between AI agents and scripts on one machine",
		Long: `ipc delivers messages between AI agent sessions (Claude Code, Gemini CLI,
Windsurf) and shell scripts on one machine. Every message is a file in a
Maildir spool (~/.claude-ipc-data by default), delivered atomically and
seen by watchers within milliseconds. No server needs to run.

Your name comes from --as NAME, else $IPC_NAME, else from the name held by
the 'ipc mcp' of the same Claude Code session (see 'ipc whoami'); the spool
from --home DIR or $IPC_HOME. A name a live process holds is refused (exit 3)
to every process but that one, its children and its Claude Code session; a
name nobody holds works with --as, and its mail is marked "cli".

Exit codes: 0 ok, 1 timed out (wait, send --wait-for), 2 usage, 3 refused
(a limit, a name taken or held, no such name or message), 4 spool unsafe
or unavailable, 130 and 143 ended by Ctrl-C or SIGTERM. A failure is one
line on stderr; with --json, one that printed nothing on stdout also
prints {"error": {"code": EXIT, "kind": "usage", "message": "…"}} there.`,
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
	pf.StringVar(&a.As, "as", "", "your agent name (default $IPC_NAME, else the name your session's 'ipc mcp' holds)")
	pf.BoolVar(&a.JSON, "json", false, "print JSON for scripts")
	root.SetFlagErrorFunc(flagError)
	for _, f := range commands() {
		root.AddCommand(f(a))
	}
	noFileCompletion(root)
	strictCompletion(root)
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
func Execute() int { return Run(NewApp(), os.Args[1:]) }

// Run runs the command line args on a and returns the exit code. A
// failure is one line on stderr; with --json, a command that printed
// nothing on stdout prints the error object there too (see errorObject),
// so a script always has JSON to read. ipc mcp and ipc hook are left
// alone: their stdout belongs to the client that started them.
func Run(a *App, args []string) int {
	out := &watchedWriter{w: a.Out}
	a.Out = out
	root := NewRootCmd(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
	var ee *exitError
	if !errors.As(err, &ee) || !ee.quiet {
		fmt.Fprintln(a.Err, "ipc:", printable(err.Error())) // it may quote a file's name
	}
	if (a.JSON || jsonAsked(args)) && !out.used && !clientOwnsStdout(cmd) {
		_ = a.printJSON(newErrorObject(code, err))
	}
	return code
}

// jsonAsked reports whether args ask for --json before any "--": for a
// mistake cobra found before it set the flag ("ipc send --bogus --json").
func jsonAsked(args []string) bool {
	for _, s := range args {
		switch s {
		case "--":
			return false
		case "--json", "--json=true":
			return true
		}
	}
	return false
}

// clientOwnsStdout reports whether cmd's stdout is read by the program
// that started it (the MCP protocol, Claude Code's hook JSON), where an
// error object would be taken for a message.
func clientOwnsStdout(cmd *cobra.Command) bool {
	return cmd != nil && (cmd.Name() == "mcp" || cmd.Name() == "hook") && cmd.Parent() == cmd.Root()
}

// watchedWriter notes whether anything was written through it.
type watchedWriter struct {
	w    io.Writer
	used bool
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	w.used = w.used || len(p) > 0
	return w.w.Write(p)
}

// underlying returns the writer under a watchedWriter, so that the
// checks for a terminal or a pipe see the real stdout.
func underlying(w io.Writer) io.Writer {
	if ww, ok := w.(*watchedWriter); ok {
		return ww.w
	}
	return w
}

// Spool opens the spool once and returns it, creating it if it does not
// exist: for the commands that write.
func (a *App) Spool() (*spool.Spool, error) {
	if a.sp != nil {
		return a.sp, nil
	}
	root, err := a.root()
	if err != nil {
		return nil, err
	}
	// The spool sees process ancestry so that the rest of an agent session
	// may act as the name its MCP server holds (spool.Vouch).
	sp, err := spool.Open(root, spool.WithProcs(readProc, a.agentSet()))
	if err != nil {
		return nil, err
	}
	a.sp = sp
	if w := sp.FileSystem().Warning(); w != "" {
		fmt.Fprintln(a.Err, "ipc:", w) // once per command: Open checked it
	}
	return sp, nil
}

// existingSpool opens the spool only if it exists: commands that only read
// (list, status, check, hook) must not create a spool where a mistyped
// --home points. It returns nil and no error when there is none.
func (a *App) existingSpool() (*spool.Spool, error) {
	if a.sp != nil {
		return a.sp, nil
	}
	root, err := a.root()
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return a.Spool()
}

// noSpool says, on stderr, that there is no spool at the path given;
// extra ends the line.
func (a *App) noSpool(extra string) {
	fmt.Fprintf(a.Err, "ipc: %s%s\n", a.noSpoolText(), extra)
}

// noSpoolText is the one wording of "there is no spool here", for a
// notice (noSpool) or an error.
func (a *App) noSpoolText() string {
	return fmt.Sprintf("no spool at %s yet (it is created by the first send or register)", a.rootShown())
}

// noMailbox says, on stderr, that name has no mailbox; extra ends the line.
func (a *App) noMailbox(name, extra string) {
	fmt.Fprintf(a.Err, "ipc: no mailbox for %s yet (see 'ipc list')%s\n", name, extra)
}

// noNewMail is what check and do say, on stderr, of an empty inbox.
const noNewMail = "No new messages"

// errNegativeTimeout refuses a --timeout below 0 (0 waits for ever).
var errNegativeTimeout = usageErr(errors.New("--timeout must be 0 (for ever) or more"))

// rootShown is the spool directory as messages show it: absolute.
func (a *App) rootShown() string {
	root, _ := a.root()
	if abs, err := filepath.Abs(root); err == nil {
		return abs
	}
	return root
}

// root returns the spool directory: --home, else $IPC_HOME, else the
// default.
func (a *App) root() (string, error) {
	if a.Home != "" {
		return a.Home, nil
	}
	if h := a.Getenv("IPC_HOME"); h != "" {
		return h, nil
	}
	return spool.DefaultRoot()
}

// Name returns the caller's agent name: --as, else $IPC_NAME, else the
// name whose live owner descends from the same process as the caller (the
// 'ipc mcp' of the same Claude Code session; see whoami). A name another
// live process holds is refused (exit 3) unless the caller belongs to
// that process or its agent session: a held name is its holder's alone.
// Looking it up never creates the spool.
func (a *App) Name() (string, error) {
	var sp *spool.Spool
	if a.As == "" && a.Getenv("IPC_NAME") == "" {
		// An unsafe spool gives no name here; the command says what is
		// wrong with it when it opens it.
		sp, _ = a.existingSpool()
	}
	r, ok := a.whoami(sp)
	if err := r.problem(ok); err != nil {
		return "", err
	}
	if err := a.vouch(r.Name); err != nil {
		return "", err
	}
	return r.Name, nil
}

// vouch refuses name when another live process holds it (a
// *spool.HeldError). With no spool, or one that cannot be opened, nobody
// holds anything; the command itself reports a spool's problems.
func (a *App) vouch(name string) error {
	sp, err := a.existingSpool()
	if err != nil || sp == nil {
		return nil
	}
	var held *spool.HeldError
	if _, err := sp.Vouch(name); errors.As(err, &held) {
		return err
	}
	return nil
}

// flagError makes cobra's complaint about a flag a usage error (exit 2).
// For the commands whose arguments are a message, an unknown flag
// (pflag's *NotExistError) is most likely text that starts with '-': it
// says how to send that.
func flagError(c *cobra.Command, err error) error {
	var unknown *pflag.NotExistError
	switch c.Name() {
	case "send", "reply", "broadcast":
		if errors.As(err, &unknown) {
			err = fmt.Errorf("%w; put -- before a message that starts with '-'", err)
		}
	}
	return usageErr(err)
}

// strictCompletion makes "ipc completion SHELL" with a shell cobra does
// not know a usage error (exit 2), not cobra's help and exit 0.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			var shells []string
			for _, s := range c.Commands() {
				shells = append(shells, s.Name())
			}
			return usageErr(fmt.Errorf("completion: unknown shell %q (one of %s)", args[0], strings.Join(shells, ", ")))
		}
		c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
}

// noFileCompletion stops the shell from offering file names for the
// arguments of commands that take none, or take names, ids or text.
// Commands that complete their arguments themselves are left alone.
func noFileCompletion(c *cobra.Command) {
	if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 {
		c.ValidArgsFunction = cobra.NoFileCompletions
	}
	for _, sub := range c.Commands() {
		noFileCompletion(sub)
	}
}

// printJSON writes v as indented JSON followed by a newline.
func (a *App) printJSON(v any) error {
	enc := json.NewEncoder(a.Out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
