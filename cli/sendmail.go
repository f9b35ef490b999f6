package cli

import (
	"errors"
	"fmt"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

func newSendmailCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "sendmail [-t] [-f FROM] [-i] [TO...]",
		Short: "Deliver an RFC 5322 message on stdin to agents, as sendmail does",
		Long: `Sendmail takes a mail message on stdin, the way mutt, mail(1), cron, git
send-email and any script that speaks sendmail hand one over, and delivers
it durably to the agents it names: the local parts of the addresses given
as arguments (bob@anything is bob) and, with -t, those of the To, Cc and
Bcc headers too. Subject, text (MIME decoded) and thread (In-Reply-To,
References) are kept, so a reply written in mutt lands in the agent's
thread.

The sender is the local part of -f FROM, else of the From header, else
your login name, with any character outside letters, digits, '-' and '_'
made '-': the agent replies to that name, and the reply waits in its
mailbox (mail/NAME in the spool) for you to read, in mutt too.

Options sendmail programs pass and ipc has no use for are accepted and
ignored: -i, -oi, -oem and the other -o options, -F NAME, -B, -N, -R, -V,
-v, -bm. Exits 0 once every copy is delivered; see 'ipc --help' for the
other codes. In mutt:

  set sendmail="ipc sendmail"
  set folder=~/.claude-ipc-data/mail`,
		Example: `  printf 'Subject: hi\n\nhello\n' | ipc sendmail bob
  git send-email --sendmail-cmd="ipc sendmail" --to=bob@localhost 0001.patch
  echo 'backup done' | mail -s nightly bob   # with ipc sendmail as /usr/sbin/sendmail`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			sub, help, err := parseSendmailArgs(a, args)
			if help {
				return cmd.Help()
			}
			if err != nil {
				return usageErr(err)
			}
			return runSendmail(a, sub)
		},
	}
}

// parseSendmailArgs reads sendmail's command line by hand: its options do
// not follow the rules of ipc's flags (-fFROM, -oi). The global --home and
// --as are read too, as flag parsing is off.
func parseSendmailArgs(a *App, args []string) (sub spool.Submission, help bool, err error) {
	value := func(i *int, arg, opt string) (string, error) {
		if v := strings.TrimPrefix(arg, opt); v != "" {
			return strings.TrimPrefix(v, "="), nil
		}
		if *i+1 >= len(args) {
			return "", fmt.Errorf("sendmail: %s needs a value", opt)
		}
		*i++
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			sub.Recipients = append(sub.Recipients, args[i+1:]...)
			return sub, false, nil
		case arg == "-h" || arg == "--help":
			return sub, true, nil
		case strings.HasPrefix(arg, "--home"):
			a.Home, err = value(&i, arg, "--home")
		case strings.HasPrefix(arg, "--as"):
			a.As, err = value(&i, arg, "--as")
		case arg == "-t":
			sub.FromHeaders = true
		case strings.HasPrefix(arg, "-f"):
			sub.From, err = value(&i, arg, "-f")
		case strings.HasPrefix(arg, "-F"):
			_, err = value(&i, arg, "-F")
		case arg == "-i", arg == "-v", arg == "-bm", strings.HasPrefix(arg, "-o"),
			strings.HasPrefix(arg, "-B"), strings.HasPrefix(arg, "-N"), strings.HasPrefix(arg, "-R"), strings.HasPrefix(arg, "-V"):
		case strings.HasPrefix(arg, "-"):
			err = fmt.Errorf("sendmail: %s is not supported (ipc sendmail delivers a message on stdin; see ipc sendmail --help)", arg)
		default:
			sub.Recipients = append(sub.Recipients, arg)
		}
		if err != nil {
			return sub, false, err
		}
	}
	return sub, false, nil
}

func runSendmail(a *App, sub spool.Submission) error {
	if u, err := user.Current(); err == nil {
		sub.Fallback = u.Username
	}
	d, err := spool.SubmissionDraft(a.In, sub)
	if err != nil {
		if errors.Is(err, spool.ErrBadName) {
			return usageErr(err)
		}
		return err
	}
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	rc, err := rules.New(sp).Send(d)
	if err != nil {
		return err
	}
	if a.JSON {
		return a.printJSON(rc)
	}
	return nil // silent, as sendmail is: mutt shows what a sendmail prints
}
