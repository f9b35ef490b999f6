package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

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

// hookEvents are the events ipc hook answers, as its messages list them.
const hookEvents = "UserPromptSubmit, PostToolUse, SessionStart or Stop"

// hookShown is how many of the newest messages a hook lists.
const hookShown = 5

// sessionStartWait is how long SessionStart waits for the session's MCP
// server to hold its name (the README's hook timeout is 5 s).
const sessionStartWait = 3 * time.Second

// awaitSessionName looks for the session's name (whoami by ancestry) every
// 50 ms until limit: the process tree, not the mail, is what is looked at,
// and only at the start of a session.
func (a *App) awaitSessionName(sp *spool.Spool, limit time.Duration) (whoamiResult, bool) {
	for end := time.Now().Add(limit); time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
		if who, ok := a.whoami(sp); ok {
			return who, true
		}
	}
	return whoamiResult{}, false
}

func newHookCmd(a *App) *cobra.Command {
	var wake bool
	var wakeFor time.Duration
	cmd := &cobra.Command{
		Use:   "hook EVENT",
		Short: "Tell Claude Code about waiting mail, from its hooks",
		Long: `Hook is meant to be run by Claude Code's hooks. It reads the hook's JSON
on stdin and, when unread mail waits, prints what Claude Code expects:

  SessionStart                    context for the model: "📬 N new messages
                                  for NAME: …" with sender, subject and id
                                  of the newest; it waits up to 3 s for the
                                  session's 'ipc mcp' to hold its name
  UserPromptSubmit, PostToolUse   the same, but only for mail the session
                                  has not been told of yet
  Stop                            {"decision":"block"} with that list as the
                                  reason, so the agent reads its mail before
                                  stopping — only while auto-check is on for
                                  the name (or IPC_HOOK_STOP=1). When Claude
                                  Code says stop_hook_active, it blocks again
                                  only for mail that arrived after the last
                                  block, so the agent is never trapped.
  Stop --wake                     for a hook with "asyncRewake": true: runs
                                  in the background, waits (no polling)
                                  until mail arrives that the session has
                                  not been told of, and exits 2 with a
                                  summary on stderr, which wakes the idle
                                  model. It exits 0 when Claude Code ends,
                                  when a newer --wake waiter of the same
                                  session replaces it, or after --for.

A session is told of each message once, whichever hook (or the MCP
server's push) told it; the session is Claude Code's
CLAUDE_CODE_SESSION_ID, else the session_id of the hook's input.

With no mail it prints nothing and exits 0. It never marks mail read and
reads only the names in new/, the index of unread files in cur/ (unread is
no S flag, in either) and the headers of a few messages, so it costs a few
milliseconds however much read mail cur/ holds.

The name comes from --as or IPC_NAME, else from the process tree: the name
held by an 'ipc mcp' (or 'ipc watch') started by the same Claude Code
session (see 'ipc whoami'). When it cannot tell, it prints nothing.`,
		Example: `  echo '{"session_id":"s1"}' | ipc --as bob hook UserPromptSubmit
  echo '{"stop_hook_active":false}' | IPC_HOOK_STOP=1 ipc --as bob hook Stop
  echo '{"session_id":"s1"}' | ipc --as bob hook Stop --wake --for 1m; echo "exit $?"`,
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return []cobra.Completion{"UserPromptSubmit", "PostToolUse", "SessionStart", "Stop"}, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				fmt.Fprintln(a.Err, "ipc hook: give the event:", hookEvents)
				return silentExit(ExitRefused) // never 2: Claude Code takes exit 2 as "block"
			}
			if wake && args[0] != "Stop" {
				fmt.Fprintln(a.Err, "ipc hook: --wake is for the Stop event only")
				return silentExit(ExitRefused)
			}
			in := readHookInput(a.In)
			var err error
			if wake {
				ctx, stop := signalContext(cmd.Context())
				defer stop()
				err = runHookWake(ctx, a, in, wakeFor)
			} else {
				err = runHook(a, args[0], in)
			}
			if errors.Is(err, errWake) {
				return silentExit(hookExitWake)
			}
			if ExitCode(err) == ExitUsage {
				fmt.Fprintln(a.Err, "ipc hook:", err)
				return silentExit(ExitRefused)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&wake, "wake", false, "Stop only: wait in the background and exit 2 when mail arrives (asyncRewake)")
	cmd.Flags().DurationVar(&wakeFor, "for", defaultWakeFor, "with --wake: give up (exit 0) after this long")
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

// runHookWake finds the session's name, as every hook does, and waits to
// wake it.
func runHookWake(ctx context.Context, a *App, in hookInput, wakeFor time.Duration) error {
	if wakeFor <= 0 {
		fmt.Fprintln(a.Err, "ipc hook: --for must be more than 0")
		return silentExit(ExitRefused)
	}
	sp, err := a.existingSpool()
	if err != nil || sp == nil {
		return err
	}
	who, ok := a.whoami(sp)
	if !ok {
		return nil
	}
	if _, err := sp.Vouch(who.Name); err != nil {
		return nil // another session's name: not this session to wake
	}
	mb, err := sp.Mailbox(who.Name)
	if err != nil || !mb.Exists() {
		return err
	}
	return hookWake(ctx, a, sp, mb, in, wakeFor)
}

func runHook(a *App, event string, in hookInput) error {
	switch event {
	case "UserPromptSubmit", "PostToolUse", "SessionStart", "Stop":
	default:
		fmt.Fprintf(a.Err, "ipc hook: %q is not an event ipc answers (%s)\n", event, hookEvents)
		return nil
	}
	sp, err := a.existingSpool()
	if err != nil || sp == nil {
		return err // no spool: no mail, nothing to say
	}
	who, ok := a.whoami(sp)
	if !ok && event == "SessionStart" {
		// Claude Code runs SessionStart before its MCP servers have
		// started: give the session's own a moment to claim its name.
		who, ok = a.awaitSessionName(sp, sessionStartWait)
	}
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
	if event == "UserPromptSubmit" {
		retireWaker(a, sp, mb.Name, in)
	}
	return hookNotice(a, sp, mb, event, in)
}

// hookNotice adds a notice of waiting mail to the model's context: at
// SessionStart of all unread mail, else only of mail the session has not
// been told of (by a hook, a wake or the MCP server).
func hookNotice(a *App, sp *spool.Spool, mb *spool.Mailbox, event string, in hookInput) error {
	return awareness.New(sp).Surface(mb.Name, a.sessionKey(in), func(mark time.Time) (time.Time, error) {
		if event == "SessionStart" {
			mark = time.Time{}
		}
		return tellFresh(sp, mb, mark, spool.Surfaced, func(summary string) error {
			var out hookContext
			out.HookSpecificOutput.HookEventName = event
			out.HookSpecificOutput.AdditionalContext = summary
			return writeHookJSON(a.Out, out)
		})
	})
}

// tellFresh tells of mb's mail that arrived after mark, through tell, marks
// the messages told of st, and returns the newest one's arrival: the
// session's new mark. With nothing new it tells nothing and returns zero.
func tellFresh(sp *spool.Spool, mb *spool.Mailbox, mark time.Time, st spool.State, tell func(summary string) error) (time.Time, error) {
	g, err := mb.Glance(hookShown, mark)
	if err != nil {
		return time.Time{}, err
	}
	fresh := freshOf(g, mark)
	if len(fresh) == 0 {
		return time.Time{}, nil
	}
	if err := tell(wakeSummary(mb.Name, g, mark, fresh)); err != nil {
		return time.Time{}, err
	}
	rules.New(sp).Mark(mb.Name, st, idsOf(fresh)...)
	return fresh[len(fresh)-1].Arrived, nil
}

// hookStop blocks the agent from stopping while mail waits and auto-check
// is on. With stop_hook_active (the agent is already continuing because of
// a block) only mail that arrived after the last block counts.
func hookStop(a *App, sp *spool.Spool, mb *spool.Mailbox, in hookInput) error {
	aw := awareness.New(sp)
	ac, err := aw.AutoCheck(mb.Name)
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
	newest := g.Newest[len(g.Newest)-1].Arrived
	if err := aw.RecordBlock(mb.Name, newest); err != nil {
		return err
	}
	// The reason tells the session of all of it: no wake, no notice again.
	return aw.Surface(mb.Name, a.sessionKey(in), func(time.Time) (time.Time, error) {
		if err := writeHookJSON(a.Out, out); err != nil {
			return time.Time{}, err
		}
		rules.New(sp).Mark(mb.Name, spool.Surfaced, idsOf(g.Newest)...)
		return newest, nil
	})
}

// mailNotice says "📬 N new messages for NAME: from X "subject" (id I); …".
func mailNotice(name string, g spool.Glance) string {
	items := make([]string, 0, len(g.Newest))
	for _, s := range g.Newest {
		items = append(items, fmt.Sprintf("from %s %q (id %s)", summarySender(s), s.Subject, s.ID))
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

// summarySender names the sender of a message summed up for the model,
// marking plainly one that is not vouched for: "alice [UNVERIFIED: cli]".
func summarySender(s spool.Summary) string {
	from := rules.Sender(s.From)
	if !s.Provenance.Verified() {
		from += " [UNVERIFIED: " + string(s.Provenance) + "]"
	}
	return from
}
