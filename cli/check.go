package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

func newCheckCmd(a *App) *cobra.Command {
	var o spool.CheckOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Print your unread messages and mark them read",
		Long: `Check prints the unread messages in your mailbox, oldest first, and marks
them read. Unread means no S (seen) flag, in new/ or in cur/: mail a mail
client has listed but nobody has read is still unread. Marking read moves
the file to cur/ and adds S to its flags, so when two readers race every
message goes to exactly one. Messages are printed one at a time and each
is marked read only once the output has taken it (for a pipe, once the
reader has read it): 'ipc check | head -3' marks read what head read, and a
check stopped by a signal, even SIGKILL, leaves unread what it had not
printed. An empty inbox says "No new messages" on stderr and exits 0.

Each message is a block: its id (for 'ipc reply'), sender, age and subject,
then the text indented, the attached data as JSON and, for a large
message, the file holding the full text.

--json prints an array of messages with the fields id, from, to, date,
subject, body, data, in_reply_to, references, large_file, large_size,
path, flags and state (how far it got: read, once checked; see 'ipc
status ID').`,
		Example: `  ipc --as bob check
  ipc --as bob check --peek          # look without marking read
  ipc --as bob check --all --limit 5 # read mail too
  IPC_NAME=bob ipc check --json | jq -r '.[].body'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Limit < 0 {
				return usageErr(errors.New("--limit must be 0 (no limit) or more"))
			}
			return runCheck(a, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Peek, "peek", false, "leave the messages unread")
	f.BoolVar(&o.All, "all", false, "include messages already read")
	f.IntVar(&o.Limit, "limit", 0, "at most N unread messages, oldest first (0: all)")
	return cmd
}

func runCheck(a *App, o spool.CheckOptions) error {
	name, err := a.Name()
	if err != nil {
		return err
	}
	sp, err := a.existingSpool()
	if err != nil {
		return err
	}
	var msgs, claimed []*spool.Message
	switch {
	case sp == nil:
		a.noSpool("")
	case !a.noteRenamed(sp, name) && !a.hasMailbox(sp, name):
		if err := a.mailboxErr(sp, name); err != nil {
			return err
		}
	default: // a renamed name's mailbox may still hold mail that came before
		if !o.Peek && !o.All {
			// Printed as given, receipts sent: nothing more to do.
			msgs, err := a.giveMail(sp, name, o)
			if err == nil && len(msgs) == 0 && !a.JSON {
				fmt.Fprintln(a.Err, noNewMail)
			}
			return err
		}
		var unread map[string]bool
		if o.All && !o.Peek {
			unread = a.unreadIDs(sp, name)
		}
		if msgs, err = a.checkMailbox(sp, name, o); err != nil {
			return err
		}
		claimed = claimedNow(msgs, unread, o)
	}
	if a.JSON {
		if err := a.printJSON(withStates(sp, name, msgs)); err != nil {
			return err
		}
		a.sendReceipts(sp, name, claimed)
		return nil
	}
	if len(msgs) == 0 {
		// Status, not data: stdout stays empty for scripts.
		if o.All {
			fmt.Fprintln(a.Err, "No messages")
		} else {
			fmt.Fprintln(a.Err, noNewMail)
		}
		return nil
	}
	printMessages(a.Out, msgs, a.color())
	a.sendReceipts(sp, name, claimed)
	return nil
}

// checkedMessage is a message in check --json, with how far it got.
type checkedMessage struct {
	*spool.Message
	State spool.State `json:"state"`
}

// withStates pairs each message with its delivery state (read, once
// claimed). A renamed name's messages are looked up in their mailbox.
func withStates(sp *spool.Spool, name string, msgs []*spool.Message) []checkedMessage {
	out := make([]checkedMessage, 0, len(msgs))
	for _, m := range msgs {
		st := spool.Stored
		if m.Flags.Has(spool.FlagSeen) {
			st = spool.Read
		}
		box := filepath.Base(filepath.Dir(filepath.Dir(m.Path)))
		if mb, err := sp.Mailbox(box); err == nil && m.Path != "" {
			st = mb.ProgressOf(m).State
		} else if mb, err := sp.Mailbox(name); err == nil {
			st = mb.ProgressOf(m).State
		}
		out = append(out, checkedMessage{Message: m, State: st})
	}
	return out
}

// sendReceipts sends the read receipts asked for by the senders of msgs,
// which name has just been shown (rules.Read), and says so on stderr.
func (a *App) sendReceipts(sp *spool.Spool, name string, msgs []*spool.Message) {
	if len(msgs) == 0 {
		return
	}
	for _, rc := range rules.New(sp).Read(name, msgs) {
		if rc.Err != nil {
			a.warn(errors.New(rc.String()))
			continue
		}
		fmt.Fprintln(a.Err, "ipc: "+rc.String())
	}
}

// claimedNow returns the messages of msgs that the check moved from new/
// (none for a peek): with --all, mail read before is shown again but was
// not read now. unread holds the ids that were unread before the check.
func claimedNow(msgs []*spool.Message, unread map[string]bool, o spool.CheckOptions) []*spool.Message {
	if o.Peek {
		return nil
	}
	if !o.All {
		return msgs
	}
	var out []*spool.Message
	for _, m := range msgs {
		if unread[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

// checkMailbox reads name's mail. Problems with single files (moved aside
// by the spool) are warnings on stderr when some messages could be read.
func (a *App) checkMailbox(sp *spool.Spool, name string, o spool.CheckOptions) ([]*spool.Message, error) {
	mb, err := sp.Mailbox(name)
	if err != nil {
		return nil, err
	}
	msgs, err := mb.Check(o)
	if err != nil {
		if len(msgs) == 0 {
			return nil, fmt.Errorf("check %s: %w", name, err)
		}
		a.warn(err)
	}
	return msgs, nil
}

// unreadIDs returns the ids of name's unread messages, without reading
// them.
func (a *App) unreadIDs(sp *spool.Spool, name string) map[string]bool {
	mb, err := sp.Mailbox(name)
	if err != nil {
		return nil
	}
	msgs, _ := mb.Check(spool.CheckOptions{Peek: true})
	ids := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		ids[m.ID] = true
	}
	return ids
}

// noteRenamed says on stderr, and reports, that name has been renamed
// and its mail goes to another name now.
func (a *App) noteRenamed(sp *spool.Spool, name string) bool {
	to := sp.Resolve(name)
	if to == name {
		return false
	}
	fmt.Fprintf(a.Err, "ipc: %s was renamed to %s; use --as %s\n", name, to, to)
	return true
}

// hasMailbox reports whether name has a mailbox, saying on stderr when it
// has none: most likely a typo.
func (a *App) hasMailbox(sp *spool.Spool, name string) bool {
	mb, err := sp.Mailbox(name)
	if err != nil {
		return false
	}
	switch ok, err := mb.Stat(); {
	case ok:
		return true
	case err == nil:
		a.noMailbox(name, "")
	}
	return false
}

// mailboxErr is the error that kept hasMailbox from telling whether name
// has a mailbox (permission denied, say): an error, never "no mail".
func (a *App) mailboxErr(sp *spool.Spool, name string) error {
	mb, err := sp.Mailbox(name)
	if err != nil {
		return err
	}
	_, err = mb.Stat()
	if err != nil {
		return fmt.Errorf("check %s: %w", name, err)
	}
	return nil
}

// warn prints each line of err as a warning on stderr.
func (a *App) warn(err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(a.Err, "ipc: warning:", printable(line))
	}
}
