package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/phrase"
	"github.com/claude-ipc/ipc/spool"
)

func newDoCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "do PHRASE",
		Short: `Run a natural-language phrase: "msg bob: hi", "check messages"`,
		Long: `Do understands the original tool's phrases, for tools without MCP (Gemini CLI
scripts, shells), and runs the same command they name:

  register this instance as NAME    register as NAME    → ipc register NAME
  msg NAME: TEXT    send NAME: TEXT    message NAME TEXT → ipc send NAME TEXT
  broadcast: TEXT                                        → ipc broadcast TEXT
  check messages    check mail    msgs?                  → ipc check
  who's online?    list instances                        → ipc list
  rename to NAME                                         → ipc rename NAME
  reply ID: TEXT    reply: TEXT (to the latest message)  → ipc reply ID TEXT
  start auto checking 5    stop auto checking    auto check status
                                                         → ipc auto-check ...

The parsing is deterministic: a phrase it does not understand exits 2 and
lists the phrases it resembles. A message whose part before the colon is
not one name ("msg bad name!: hi") is refused the same way, never guessed. Quote the phrase for the shell. Global
flags (--as, --home, --json) apply to the command run.`,
		Example: `  ipc --as alice do "register this instance as alice"
  ipc --as alice do "msg bob: the build is green"
  ipc --as bob do "check messages"
  ipc do "who's online?"`,
		Args: argsRule(1, -1, `do needs a PHRASE, like "msg bob: the build is green"`, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDo(cmd, a, strings.Join(args, " "))
		},
	}
}

func runDo(cmd *cobra.Command, a *App, text string) error {
	act, err := phrase.Parse(text)
	if err != nil {
		return usageErr(err)
	}
	args, err := doArgs(a, act)
	if err != nil {
		return err
	}
	// A fresh tree on a fresh App: flags bound to a would be reset by it.
	sub := &App{In: a.In, Out: a.Out, Err: a.Err, Getenv: a.Getenv}
	root := NewRootCmd(sub)
	root.SetArgs(append(a.globalArgs(), args...))
	return root.ExecuteContext(cmd.Context())
}

// globalArgs gives the global flags of a back as arguments.
func (a *App) globalArgs() []string {
	var out []string
	if a.Home != "" {
		out = append(out, "--home", a.Home)
	}
	if a.As != "" {
		out = append(out, "--as", a.As)
	}
	if a.JSON {
		out = append(out, "--json")
	}
	return out
}

// doArgs is the command line an Action runs. Text comes after "--", so
// a message that starts with '-' is not taken for a flag.
func doArgs(a *App, act phrase.Action) ([]string, error) {
	switch act.Verb {
	case phrase.VerbRegister:
		return []string{"register", act.Name}, nil
	case phrase.VerbSend:
		return []string{"send", "--", act.Name, act.Text}, nil
	case phrase.VerbBroadcast:
		return []string{"broadcast", "--", act.Text}, nil
	case phrase.VerbCheck:
		return []string{"check"}, nil
	case phrase.VerbList:
		return []string{"list"}, nil
	case phrase.VerbRename:
		return []string{"rename", act.Name}, nil
	case phrase.VerbReply:
		id := act.ID
		if id == "" {
			var err error
			if id, err = latestReceived(a); err != nil {
				return nil, err
			}
		}
		return []string{"reply", "--", id, act.Text}, nil
	case phrase.VerbAutoStart:
		if act.Minutes > 0 {
			return []string{"auto-check", "start", strconv.Itoa(act.Minutes)}, nil
		}
		return []string{"auto-check", "start"}, nil
	case phrase.VerbAutoStop:
		return []string{"auto-check", "stop"}, nil
	case phrase.VerbAutoStatus:
		return []string{"auto-check", "status"}, nil
	}
	return nil, usageErr(fmt.Errorf("do: no command for %q", act.Verb))
}

// latestReceived returns the id of the newest message in the caller's
// mailbox, read or not, that came from someone: what "reply: TEXT" answers.
func latestReceived(a *App) (string, error) {
	me, err := a.Name()
	if err != nil {
		return "", err
	}
	sp, err := a.Spool()
	if err != nil {
		return "", err
	}
	mb, err := sp.Mailbox(me)
	if err != nil {
		return "", usageErr(err)
	}
	msgs, err := mb.Check(spool.CheckOptions{Peek: true, All: true})
	if err != nil && len(msgs) == 0 {
		return "", err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := msgs[i]; m.From != "" && m.From != me {
			return m.ID, nil
		}
	}
	return "", usageErr(errors.New(`nothing to reply to: no message from anyone in your mailbox; give the id, like "reply ID: TEXT"`))
}
