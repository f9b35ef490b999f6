package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/claude-ipc/ipc/bridge"
	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

// natsFlags are the bridge's settings as flags, shared by ipc bridge and
// ipc daemon --nats; they override config.json's "bridge" object.
type natsFlags struct{ c bridge.Config }

func (f *natsFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.c.URL, "nats", "", "NATS server URL(s), e.g. nats://host:4222 or tls://host:4222 (comma-separated for a cluster)")
	fs.StringVar(&f.c.Creds, "creds", "", "NATS credentials file (.creds)")
	fs.StringVar(&f.c.NKey, "nkey", "", "NATS nkey seed file")
	fs.StringVar(&f.c.TLSCA, "tls-ca", "", "CA certificate that signs the server's")
	fs.StringVar(&f.c.TLSCert, "tls-cert", "", "client certificate (with --tls-key)")
	fs.StringVar(&f.c.TLSKey, "tls-key", "", "client key (with --tls-cert)")
	fs.StringVar(&f.c.Host, "host", "", "this host's name in addresses NAME@HOST (default: the hostname up to its first dot)")
}

// config merges the flags over config.json's "bridge" object.
func (f *natsFlags) config(sp *spool.Spool) (bridge.Config, error) {
	base, err := bridge.FromSpool(sp)
	if err != nil {
		return base, usageErr(err)
	}
	return base.Merge(f.c), nil
}

const bridgeLong = `Bridge carries mail between this spool and the spools of other hosts
through a NATS JetStream server. Mail sent to NAME@HOST (or to a name
that only another host has) waits in the spool's remote/ queue until
the server has stored it, and mail for this host's names is delivered
into their mailboxes, each message exactly once, whatever crashes or
restarts. 'ipc list' shows the other hosts' names as NAME@HOST, a
broadcast reaches every host, and read receipts cross back.

The server needs JetStream ('nats-server -js'); the bridge creates the
stream IPC_MAIL, the key-value bucket ipc-presence and the object store
ipc-large. Give the same settings in the spool's config.json as
{"bridge": {"nats": URL, "creds": FILE, "nkey": FILE, "tls_ca": FILE,
"tls_cert": FILE, "tls_key": FILE, "host": NAME}}; flags override it.
A tls:// URL (or --tls-ca) makes everything go over TLS. With
IPC_SHARED_SECRET set (the same on every host) a message whose signature
does not verify is quarantined, not delivered.

An unreachable server is retried for ever: mail waits on disk and
'ipc status' says how much and why. Refused credentials and a stream or
bucket with other settings end the bridge with exit 4 and say what to
fix. 'ipc daemon --nats URL' runs the bridge inside the leader.

Each host publishes with its own name as the last subject token, so
the server's permissions can keep a host from posing as another:
'ipc bridge --permissions --host NAME' prints the user entry for
nats-server's authorization block.`

func newBridgeCmd(a *App) *cobra.Command {
	var f natsFlags
	var perms bool
	cmd := &cobra.Command{
		Use:   "bridge --nats URL",
		Short: "Carry mail to and from other hosts over NATS JetStream",
		Long:  bridgeLong,
		Example: `  nats-server -js &                     # once, somewhere both hosts reach
  ipc bridge --nats nats://natshost:4222
  ipc bridge --nats tls://natshost:4222 --creds ~/.nats/ipc-laptop.creds --host laptop
  ipc --as alice send bob@buildbox "the release is tagged"
  ipc bridge --permissions --host buildbox   # for the server's config`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if perms {
				return printPermissions(a, f.c.Host)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBridge(ctx, a, &f)
		},
	}
	f.add(cmd.Flags())
	cmd.Flags().BoolVar(&perms, "permissions", false, "print the nats-server user entry that keeps --host to its own name, and exit")
	return cmd
}

// printPermissions prints a nats-server "users" entry for host with the
// permissions bridge.Permissions gives it (JSON with --json).
func printPermissions(a *App, host string) error {
	if host == "" {
		host = bridge.DefaultHost()
	}
	if err := spool.ValidHost(host); err != nil {
		return usageErr(err)
	}
	pub, sub := bridge.Permissions(host)
	if a.JSON {
		return a.printJSON(map[string]any{"user": host, "permissions": map[string]any{"publish": pub, "subscribe": sub}})
	}
	list := func(ss []string) string {
		q := make([]string, len(ss))
		for i, s := range ss {
			q[i] = "      " + strconv.Quote(s)
		}
		return "[\n" + strings.Join(q, "\n") + "\n    ]"
	}
	fmt.Fprintf(a.Out, "{ user: %q, password: $%s_PASSWORD, permissions: {\n    publish: %s\n    subscribe: %s\n} }\n",
		host, strings.ToUpper(strings.ReplaceAll(host, "-", "_")), list(pub), list(sub))
	return nil
}

func runBridge(ctx context.Context, a *App, f *natsFlags) error {
	sp, wo, err := a.watchedSpool()
	if err != nil {
		return err
	}
	cfg, err := f.config(sp)
	if err != nil {
		return err
	}
	fol, err := a.follower(ctx, sp, wo)
	if err != nil {
		return err
	}
	defer fol.Close()
	return startBridge(ctx, a, sp, cfg, fol)
}

// startBridge runs a bridge until ctx ends; a setting it refuses is a
// usage error.
func startBridge(ctx context.Context, a *App, sp *spool.Spool, cfg bridge.Config, fol *follow.Follower) error {
	log := a.logger(slog.LevelInfo)
	br, err := bridge.New(sp, cfg, bridge.Options{Log: log, Follower: fol})
	if err != nil {
		return usageErr(err)
	}
	log.Debug("bridge starting", "host", br.Host(), "nats", cfg.RedactedURL())
	if err := br.Run(ctx); err != nil {
		return err // says "bridge: ..." itself
	}
	log.Info("bridge stopped")
	return nil
}
