package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

func init() { register(newHookCmd) }

// hookInput is the part of Claude Code's hook JSON (on stdin) ipc reads.
type hookInput struct {
	SessionID      string `json:"session_id"`
	HookEventName  string `json:"hook_event_name"`
	StopHookActive bool   `json:"stop_hook_active"`
	Cwd            string `json:"cwd"`
}

// hookContext is the output that adds context for the model.
type hookContext struct {
	HookSpecificOutput struct {
		HookEventName     string `json:"hookEventName"`
		AdditionalContext string `json:"additionalContext"`
	} `json:"hookSpecificOutput"`
}

// hookBlock is the output that keeps Claude working instead of stopping.
type hookBlock struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// hookShown is how many of the newest messages a hook lists.
const hookShown = 5

func newHookCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook EVENT",
		Short: "Tell Claude Code about waiting mail, from its hooks",
		Long: `Hook is meant to be run by Claude Code's hooks. It reads the hook's JSON
on stdin and, when unread mail waits, prints what Claude Code expects:

  UserPromptSubmit, SessionStart  context for the model: "📬 N new messages
                                  for NAME: …" with sender, subject and id
                                  of the newest
  PostToolUse                     the same, but only for mail that arrived
                                  since the session was last told
  Stop                            {"decision":"block"} with that list as the
                                  reason, so the agent reads its mail before
                                  stopping — only while auto-check is on for
                                  the name (or IPC_HOOK_STOP=1). When Claude
                                  Code says stop_hook_active, it blocks again
                                  only for mail that arrived after the last
                                  block, so the agent is never trapped.

With no mail it prints nothing and exits 0. It never marks mail read and
reads only the names in new/ and cur/ (unread is no S flag, in either)
and the headers of a few messages.

The name comes from --as or IPC_NAME, else from the process tree: the name
held by an 'ipc mcp' (or 'ipc watch') started by the same Claude Code
session (see 'ipc whoami'). When it cannot tell, it prints nothing.`,
		Example: `  echo '{"session_id":"s1"}' | ipc --as bob hook UserPromptSubmit
  echo '{"stop_hook_active":false}' | IPC_HOOK_STOP=1 ipc --as bob hook Stop`,
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return []cobra.Completion{"UserPromptSubmit", "PostToolUse", "SessionStart", "Stop"}, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				fmt.Fprintln(a.Err, "ipc hook: give the event: UserPromptSubmit, PostToolUse, SessionStart or Stop")
				return silentExit(ExitRefused) // never 2: Claude Code takes exit 2 as "block"
			}
			err := runHook(a, args[0], readHookInput(a.In))
			if ExitCode(err) == ExitUsage {
				fmt.Fprintln(a.Err, "ipc hook:", err)
				return silentExit(ExitRefused)
			}
			return err
		},
	}
	// A mistyped flag must not exit 2 either.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		fmt.Fprintln(a.Err, "ipc hook:", err)
		return silentExit(ExitRefused)
	})
	return cmd
}

// readHookInput decodes the hook JSON on stdin; missing, empty or broken
// input gives the zero value. A terminal is not read (someone trying the
// command by hand).
func readHookInput(r io.Reader) hookInput {
	var in hookInput
	if f, ok := r.(*os.File); ok && isTerminal(f) {
		return in
	}
	b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
	_ = json.Unmarshal(b, &in)
	return in
}

func runHook(a *App, event string, in hookInput) error {
	switch event {
	case "UserPromptSubmit", "PostToolUse", "SessionStart", "Stop":
	default:
		fmt.Fprintf(a.Err, "ipc hook: %q is not an event ipc answers (UserPromptSubmit, PostToolUse, SessionStart, Stop)\n", event)
		return nil
	}
	sp, err := a.existingSpool()
	if err != nil || sp == nil {
		return err // no spool: no mail, nothing to say
	}
	who, ok := a.whoami(sp)
	if !ok {
		return nil // not an ipc session, or cannot tell which: say nothing
	}
	if _, err := sp.Vouch(who.Name); err != nil {
		return nil // another session's name: not this session's mail to tell of
	}
	mb, err := sp.Mailbox(who.Name)
	if err != nil {
		return err
	}
	if event == "Stop" {
		return hookStop(a, sp, mb, in)
	}
	return hookNotice(a, sp, mb, event, in)
}

// hookNotice adds a notice of waiting mail to the model's context. For
// PostToolUse, which fires after every tool call, only mail the session has
// not been told about counts.
func hookNotice(a *App, sp *spool.Spool, mb *spool.Mailbox, event string, in hookInput) error {
	var since time.Time
	if event == "PostToolUse" {
		since = sp.Announced(mb.Name, in.SessionID)
	}
	g, err := mb.Glance(hookShown, since)
	if err != nil {
		return err
	}
	if g.Unread == 0 || (event == "PostToolUse" && !since.IsZero() && g.Since == 0) {
		return nil
	}
	var out hookContext
	out.HookSpecificOutput.HookEventName = event
	out.HookSpecificOutput.AdditionalContext = mailNotice(mb.Name, g) +
		" Use the check tool (or `ipc check`) to read " + them(g.Unread) + "."
	if err := writeHookJSON(a.Out, out); err != nil {
		return err
	}
	if len(g.Newest) > 0 {
		// What was said is said; a failure to note it only means saying it again.
		_ = sp.RecordAnnounced(mb.Name, in.SessionID, g.Newest[len(g.Newest)-1].Arrived)
	}
	return nil
}

// hookStop blocks the agent from stopping while mail waits and auto-check
// is on. With stop_hook_active (the agent is already continuing because of
// a block) only mail that arrived after the last block counts.
func hookStop(a *App, sp *spool.Spool, mb *spool.Mailbox, in hookInput) error {
	ac, err := sp.AutoCheck(mb.Name)
	if err != nil {
		return err
	}
	if !ac.Enabled && a.Getenv("IPC_HOOK_STOP") != "1" {
		return nil
	}
	var since time.Time
	if in.StopHookActive {
		since = ac.LastBlock
	}
	g, err := mb.Glance(hookShown, since)
	if err != nil {
		return err
	}
	if g.Unread == 0 || len(g.Newest) == 0 || (in.StopHookActive && !since.IsZero() && g.Since == 0) {
		return nil
	}
	out := hookBlock{Decision: "block", Reason: mailNotice(mb.Name, g) + " Read " + them(g.Unread) +
		" with the check tool (or `ipc check`) and deal with " + them(g.Unread) + " before you stop."}
	// Record first: if that fails, blocking could loop, so let the agent stop.
	if err := sp.RecordBlock(mb.Name, g.Newest[len(g.Newest)-1].Arrived); err != nil {
		return err
	}
	return writeHookJSON(a.Out, out)
}

// mailNotice says "📬 N new messages for NAME: from X "subject" (id I); …".
func mailNotice(name string, g spool.Glance) string {
	items := make([]string, 0, len(g.Newest))
	for _, s := range g.Newest {
		from := rules.Sender(s.From)
		items = append(items, fmt.Sprintf("from %s %q (id %s)", from, s.Subject, s.ID))
	}
	list := strings.Join(items, "; ")
	if more := g.Unread - len(g.Newest); more > 0 {
		list += fmt.Sprintf("; and %d older", more)
	}
	return fmt.Sprintf("📬 %s for %s: %s.", plural(g.Unread, "new message"), name, list)
}

// them is the pronoun for n messages.
func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// writeHookJSON prints v as one line of JSON, as Claude Code reads it.
func writeHookJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
