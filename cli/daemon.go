package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/leader"
	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

func newDaemonCmd(a *App) *cobra.Command {
	var f natsFlags
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the spool's leader in the foreground",
		Long: `Daemon runs the leader: the one process that routes files dropped into
outbox/new/, moves mail that reaches a renamed name along its forward,
expires mail for names never registered after 7 days into quarantine/,
and removes tmp/ leftovers older than 36 hours.

No leader is needed to send or read mail; every 'ipc watch' and 'ipc mcp'
also offers to lead, and exactly one process leads at a time. If
another process leads already, daemon waits (and says so) and takes over
within a second of its death, SIGKILL included. It logs each action to
stderr — one short line each on a terminal, key=value text otherwise,
JSON lines with --json — and stops cleanly on SIGINT or SIGTERM.

With --nats URL (or a "bridge" object in config.json) the daemon also
runs the bridge to other hosts (see 'ipc bridge --help'); a bridge that
fails is logged and the leader goes on.

Environment: IPC_POLL=1 polls directories instead of using inotify (for
NFS and the like); IPC_POLL_INTERVAL (default 250ms) sets how often.`,
		Example: `  ipc daemon
  ipc daemon --nats nats://natshost:4222
  nohup ipc daemon --json 2>>~/ipc-daemon.log &`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDaemon(ctx, a, &f)
		},
	}
	f.add(cmd.Flags())
	return cmd
}

func runDaemon(ctx context.Context, a *App, f *natsFlags) error {
	sp, wo, err := a.watchedSpool()
	if err != nil {
		return err
	}
	cfg, err := f.config(sp)
	if err != nil {
		return err
	}
	log := a.logger(slog.LevelInfo)
	if info, ok := sp.Leader(); ok {
		log.Info("waiting: another process leads", "pid", info.PID, "since", info.Since)
	}
	lo := leader.Options{Logger: log, Poll: wo.Poll, PollInterval: wo.PollInterval}
	if cfg.URL != "" {
		fol, err := a.follower(ctx, sp, wo)
		if err != nil {
			return err
		}
		defer fol.Close()
		lo.Follower = fol
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() {
			if err := startBridge(ctx, a, sp, cfg, fol); err != nil {
				log.Error("bridge stopped; local mail goes on, mail for other hosts waits in remote/", "err", err)
			}
		})
	}
	if err = leader.Run(ctx, sp, lo); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	log.Info("stopped")
	return nil
}

// watchedSpool opens the spool and reads the watcher's knobs from the
// environment (watchOptions): what a command that watches or leads needs
// first.
func (a *App) watchedSpool() (*spool.Spool, watcher.Options, error) {
	sp, err := a.Spool()
	if err != nil {
		return nil, watcher.Options{}, err
	}
	wo, err := a.watchOptions()
	if err != nil {
		return nil, watcher.Options{}, err
	}
	return sp, wo, nil
}

// watchOptions reads the watcher's knobs from the environment: IPC_POLL=1
// forces polling, IPC_POLL_INTERVAL sets its period (a Go duration). The
// watcher reports its troubles (a queue overflow, a lost directory) on
// stderr.
func (a *App) watchOptions() (watcher.Options, error) {
	o := watcher.Options{Poll: a.Getenv("IPC_POLL") == "1", Logger: a.logger(slog.LevelWarn)}
	if v := a.Getenv("IPC_POLL_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, usageErr(fmt.Errorf("IPC_POLL_INTERVAL=%q: want a duration such as 250ms or 2s", v))
		}
		o.PollInterval = d
	}
	return o, nil
}

// follower starts the process's one Follower (one watcher) on sp: every
// part of a command that needs to know of mail arriving (the command
// itself, the leader beside it) opens a Feed on it.
func (a *App) follower(ctx context.Context, sp *spool.Spool, wo watcher.Options) (*follow.Follower, error) {
	f, err := follow.New(ctx, sp, follow.Options{Watcher: wo})
	if err != nil {
		return nil, fmt.Errorf("follow the spool: %w", err)
	}
	return f, nil
}

// watcherMode starts a Follower on sp, watching nothing, and says how it
// learns of mail: what every command here that watches does (ipc status
// and ipc doctor show it).
func (a *App) watcherMode(ctx context.Context, sp *spool.Spool) (watcher.Mode, error) {
	wo, err := a.watchOptions()
	if err != nil {
		return 0, err
	}
	wo.Logger = nil // a fallback is the answer here, not a warning
	f, err := a.follower(ctx, sp, wo)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Mode(), nil
}

// logger returns a logger writing to stderr at level and above: short
// lines for people on a terminal, key=value text for a log file, JSON
// lines with --json.
func (a *App) logger(level slog.Level) *slog.Logger {
	ho := &slog.HandlerOptions{Level: level}
	switch {
	case a.JSON:
		return slog.New(slog.NewJSONHandler(a.Err, ho))
	case isTerminal(a.Err):
		return slog.New(newLineHandler(a.Err, level))
	}
	return slog.New(slog.NewTextHandler(a.Err, ho))
}

// background runs the leader beside a command that watches mail (ipc
// watch, ipc mcp), on that command's follower, so drop-ins are routed
// while it runs even with no daemon. The returned stop cancels it and
// waits for it to finish.
func (a *App) background(ctx context.Context, sp *spool.Spool, fol *follow.Follower) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	log := a.logger(slog.LevelWarn) // a watcher's stderr is for people: problems only
	wg.Go(func() {
		if err := leader.Run(ctx, sp, leader.Options{Logger: log, Follower: fol}); err != nil {
			log.Warn("leader stopped", "err", err)
		}
	})
	return func() { cancel(); wg.Wait() }
}
