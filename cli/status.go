package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/claude-ipc/ipc/bridge"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
	"github.com/spf13/cobra"
)

// statusResult is the --json output of ipc status.
type statusResult struct {
	Spool       string        `json:"spool"`
	Mailboxes   int           `json:"mailboxes"`
	Unread      int           `json:"unread"`
	Online      []string      `json:"online"`
	Quarantined int           `json:"quarantined"`
	Leader      *spool.Holder `json:"leader"` // null when no leader runs
	// Watcher is how mail is noticed here: "inotify",
	// "ReadDirectoryChangesW", "kqueue", "kqueue-directory" or "poll".
	Watcher string `json:"watcher"`
	// Bridge is the bridge to other hosts: null when none ever ran and no
	// mail waits for one.
	Bridge *bridge.Status `json:"bridge"`
}

func newStatusCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the spool: path, leader, mailboxes, unread, online names",
		Long: `Status summarises the spool: where it is, which process leads it (routes
the outbox, moves forwarded mail, expires mail nobody claims), how many
mailboxes and unread messages it holds, who is online, and how many files
were quarantined (moved aside as unsafe or undeliverable, never deleted).

No leader is needed to send or read mail; 'ipc daemon' or the first
'ipc mcp' becomes one. Where no spool exists yet, status says so and
creates none (nor does list, check or hook: only commands that write do).

When mail for other hosts waits in remote/ or a bridge has run, a bridge
line says whether it is connected, how many messages wait and why.

--json prints {"spool", "mailboxes", "unread", "online": [names],
"quarantined", "leader": {"pid", "since"} or null, "watcher" (how mail
is noticed: inotify, ReadDirectoryChangesW, kqueue, kqueue-directory or
poll), "bridge": {"host",
"url", "running", "connected", "error", "queued", "sent", "received"} or
null}.

With a message id (as send prints it), status says how far each copy of
that message got instead: stored, notified (pushed, or its session woken),
surfaced (it reached the model's context), read, acknowledged (a read
receipt went back) or replied, with the times known. --json prints
[{"mailbox", "id", "state", "at": {STATE: time}}].`,
		Example: `  ipc status
  ipc status --json | jq .unread
  ipc status 7d9481e9b3aa`,
		Args: argsRule(0, 1, "", "status takes at most one message id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return runStatusOf(a, args[0])
			}
			return runStatus(cmd.Context(), a)
		},
	}
}

// runStatusOf prints how far each copy of the message id got.
func runStatusOf(a *App, id string) error {
	sp, err := a.existingSpool()
	if err != nil {
		return err
	}
	if sp == nil {
		return fmt.Errorf("%w: %s, so no message %s", spool.ErrNotFound, a.noSpoolText(), id)
	}
	ps, err := rules.New(sp).Find(id)
	if err != nil {
		return err
	}
	if a.JSON {
		return a.printJSON(ps)
	}
	printProgress(a.Out, ps)
	return nil
}

func runStatus(ctx context.Context, a *App) error {
	sp, err := a.existingSpool()
	if err != nil {
		return err
	}
	if sp == nil {
		a.noSpool("")
		if a.JSON {
			return a.printJSON(statusResult{Spool: a.rootShown(), Online: []string{}})
		}
		return nil
	}
	infos, listErr := sp.List() // reported after the status, which it makes incomplete
	if listErr != nil && infos == nil {
		return listErr
	}
	p := palette{on: a.color()}
	st := statusResult{Spool: sp.Root, Mailboxes: len(infos), Online: []string{}, Leader: leaderOf(sp)}
	var online []string
	for _, n := range infos {
		st.Unread += n.Unread
		if n.Online {
			st.Online = append(st.Online, n.Name)
			online = append(online, fmt.Sprintf("%s (pid %d)", p.green(n.Name), n.PID))
		}
	}
	if st.Quarantined, err = countQuarantined(sp.Root); err != nil {
		return err
	}
	mode, err := a.watcherMode(ctx, sp)
	if err != nil {
		return err
	}
	st.Watcher = mode.String()
	if bs, ran, _ := bridge.ReadStatus(sp); ran || bs.Queued > 0 {
		st.Bridge = &bs
	}
	if a.JSON {
		return errors.Join(a.printJSON(st), listErr)
	}
	leader := "none (run 'ipc daemon')"
	if st.Leader != nil {
		leader = fmt.Sprintf("pid %d", st.Leader.PID)
		if !st.Leader.Since.IsZero() {
			leader += ", since " + relTime(sp.Now(), st.Leader.Since)
		}
	}
	who := "nobody"
	if len(online) > 0 {
		who = strings.Join(online, ", ")
	}
	quar := fmt.Sprint(st.Quarantined)
	if st.Quarantined > 0 {
		quar = p.yellow(quar) + " (see " + filepath.Join(sp.Root, "quarantine") + ")"
	}
	for _, kv := range [][2]string{
		{"spool", st.Spool}, {"leader", leader}, {"mailboxes", fmt.Sprint(st.Mailboxes)},
		{"unread", fmt.Sprint(st.Unread)}, {"online", who}, {"quarantined", quar}, {"watcher", a.watcherLine(sp, mode)},
		{"bridge", bridgeLine(st.Bridge)},
	} {
		if kv[1] == "" {
			continue
		}
		fmt.Fprintf(a.Out, "%-12s %s\n", kv[0]+":", kv[1])
	}
	return listErr
}

// watcherLine says how mail is noticed, and what that costs when it is
// not the system's own per-file events.
func (a *App) watcherLine(sp *spool.Spool, m watcher.Mode) string {
	switch m {
	case watcher.ModeDirectory:
		return m.String() + " (one descriptor per mailbox directory, not per message; a change lists the directory)"
	case watcher.ModePoll:
		why := "the system's notifications are unavailable or ran out"
		switch fs := sp.FileSystem(); {
		case a.Getenv("IPC_POLL") == "1":
			why = "IPC_POLL=1"
		case fs.Poll():
			why = "the spool is on " + fs.Name + ", a network file system"
		}
		every := watcher.DefaultPollInterval
		if wo, err := a.watchOptions(); err == nil && wo.PollInterval > 0 {
			every = wo.PollInterval
		}
		return fmt.Sprintf("poll every %v (%s)", every, why)
	}
	return m.String()
}

// bridgeLine sums up the bridge: "connected to URL as HOST; 0 waiting",
// or what keeps mail from moving.
func bridgeLine(bs *bridge.Status) string {
	if bs == nil {
		return ""
	}
	waiting := plural(bs.Queued, "message") + " waiting for other hosts"
	switch {
	case bs.Running && bs.Connected && bs.Error == "":
		return fmt.Sprintf("connected to %s as %s; %s", bs.URL, bs.Host, waiting)
	case bs.Error != "":
		state := "not running"
		if bs.Running {
			state = "not connected"
		}
		return fmt.Sprintf("%s; %s: %s", state, waiting, bs.Error)
	case !bs.Running:
		return "not running; " + waiting + " (run 'ipc bridge --nats URL' or 'ipc daemon --nats URL')"
	}
	return waiting
}

// leaderOf returns the live leader of the spool, or nil.
func leaderOf(sp *spool.Spool) *spool.Holder {
	if l, ok := sp.Leader(); ok {
		return &l
	}
	return nil
}

// countQuarantined counts the files moved to quarantine/, not their .why
// notes.
func countQuarantined(root string) (int, error) {
	ents, err := os.ReadDir(filepath.Join(root, "quarantine"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("count quarantine: %w", err)
	}
	n := 0
	for _, e := range ents {
		if name := e.Name(); !strings.HasSuffix(name, ".why") && !strings.Contains(name, ".why.tmp") {
			n++
		}
	}
	return n, nil
}
