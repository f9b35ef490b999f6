package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/dovecot"
)

type imapOptions struct {
	port       int
	program    string
	configOnly bool
}

func newIMAPCmd(a *App) *cobra.Command {
	var o imapOptions
	cmd := &cobra.Command{
		Use:   "imap",
		Short: "Serve every mailbox over IMAP with Dovecot, on 127.0.0.1",
		Long: `imap lets people keep a mail client (Thunderbird, mutt, Apple Mail, any
IMAP client) on the agents' mailboxes. It writes a Dovecot configuration
for this spool into its state/imap/ and runs Dovecot with it in the
foreground (dovecot -F -c state/imap/dovecot.conf) until Ctrl-C.

One login sees every mailbox: the user "overseer", whose password is made
at the first start and kept in state/imap/password (0600; remove the file
for a new one). Each mailbox is an IMAP folder of its name; INBOX stays
empty. Folders are subscribed when imap starts; names registered while it
runs appear in the folder list at once.

Dovecot reads the Maildirs themselves, so flags agree both ways: opening
a folder leaves its mail unread for the agent, mail marked read (\Seen)
in the client is read for ipc, mail marked unread again is unread again,
and what an agent read shows as read in the client. Folders cannot be
created, deleted or renamed over IMAP. Dovecot keeps its indexes and uid
lists in state/imap/, never in the Maildirs.

It listens on 127.0.0.1 only, in plain IMAP (no TLS), at --port (default
10143; 0 picks a free one). Dovecot runs as you, without root; run as
root, imap refuses (Dovecot gives no IMAP access to mail owned by root).
It needs Dovecot 2.3: Debian's dovecot-imapd package. dovecot is looked for
on PATH, then in /usr/sbin, /usr/local/sbin and /opt/homebrew/sbin.

imap also leads the spool when no other process does, as ipc watch does.
--config-only writes the configuration, prints how to connect and exits,
for running Dovecot yourself. Exit 3 when Dovecot is missing or of another
version, as root, when the port is taken or Dovecot stops on its own.`,
		Example: `  ipc imap
  ipc imap --port 1143
  ipc imap --config-only && dovecot -F -c ~/.claude-ipc-data/state/imap/dovecot.conf`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(orBackground(cmd.Context()), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runIMAP(ctx, a, o)
		},
	}
	cmd.Flags().IntVar(&o.port, "port", dovecot.DefaultPort, "IMAP port on 127.0.0.1 (0: a free one)")
	cmd.Flags().StringVar(&o.program, "dovecot", "", "the dovecot program (default: dovecot on PATH, else in an sbin directory)")
	cmd.Flags().BoolVar(&o.configOnly, "config-only", false, "write the configuration and exit without running Dovecot")
	return cmd
}

func runIMAP(ctx context.Context, a *App, o imapOptions) error {
	if o.port < 0 || o.port > 65535 {
		return usageErr(fmt.Errorf("--port %d: want 0 to 65535", o.port))
	}
	sp, wo, err := a.watchedSpool()
	if err != nil {
		return err
	}
	program, version, err := findDovecot(ctx, o.program)
	if err != nil {
		return err
	}
	if o.port == 0 {
		if o.port, err = freePort(); err != nil {
			return err
		}
	}
	setup, err := dovecot.Write(sp, dovecot.Options{Port: o.port})
	if err != nil {
		return err
	}
	if o.configOnly {
		return a.printIMAP(setup, version, "")
	}
	if err := portFree(setup.Port); err != nil {
		return err
	}
	f, err := a.follower(ctx, sp, wo)
	if err != nil {
		return err
	}
	defer f.Close()
	stopLeader := a.background(ctx, sp, f)
	defer stopLeader()

	dc := setup.Command(ctx, program)
	dc.Stdout, dc.Stderr = a.Err, a.Err // Dovecot logs to stderr
	if err := dc.Start(); err != nil {
		return fmt.Errorf("imap: start %s: %w", program, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- dc.Wait() }()
	select {
	case err := <-exited:
		return dovecotStopped(ctx, err)
	case <-listening(ctx, setup.Port, exited):
	}
	if ctx.Err() == nil {
		if err := a.printIMAP(setup, version, "(Ctrl-C stops it)"); err != nil {
			return err
		}
	}
	return dovecotStopped(ctx, <-exited)
}

// findDovecot finds the dovecot program (the one --dovecot names, else
// dovecot on PATH or in an sbin directory) and checks its version.
func findDovecot(ctx context.Context, named string) (program, version string, err error) {
	if named != "" {
		program, err = dovecot.Find(named, nil)
	} else {
		program, err = dovecot.Find("dovecot", dovecot.SearchDirs)
	}
	if err != nil {
		return "", "", err
	}
	version, err = dovecot.Version(ctx, program)
	return program, version, err
}

// dovecotStopped turns Dovecot's end into imap's: nil when imap was told
// to stop (Dovecot was then asked to), an error when Dovecot stopped on
// its own (its reason is in its log, above on stderr).
func dovecotStopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		err = errors.New("exit status 0")
	}
	return &exitError{code: ExitRefused, err: fmt.Errorf("imap: Dovecot stopped (%v): its log above says why", err)}
}

// listening returns a channel closed once the port takes connections, or
// once Dovecot exited (exited then still holds its result) or ctx ended.
func listening(ctx context.Context, port int, exited chan error) <-chan struct{} {
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		addr := net.JoinHostPort(dovecot.Host, strconv.Itoa(port))
		for ctx.Err() == nil && len(exited) == 0 {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	return ready
}

// portFree refuses a port another program listens on, before Dovecot
// starts and says so in a line of its log among others.
func portFree(port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(dovecot.Host, strconv.Itoa(port)))
	if err != nil {
		return &exitError{code: ExitRefused, err: fmt.Errorf("imap: port %d on %s is taken (%v): pick another with --port, or --port 0", port, dovecot.Host, err)}
	}
	return ln.Close()
}

// freePort returns a port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(dovecot.Host, "0"))
	if err != nil {
		return 0, fmt.Errorf("imap: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// printIMAP says how to connect: host, port, user, password file.
func (a *App) printIMAP(s *dovecot.Setup, version, tail string) error {
	if a.JSON {
		return a.printJSON(map[string]any{
			"host": s.Host, "port": s.Port, "user": s.User, "password_file": s.PasswordFile,
			"config": s.Config, "dovecot": version, "folders": nonNil(s.Folders),
		})
	}
	folders := strings.Join(s.Folders, ", ")
	if folders == "" {
		folders = "none yet"
	}
	fmt.Fprintf(a.Out, "IMAP by Dovecot %s for this spool:\n", version)
	fmt.Fprintf(a.Out, "  server    %s  port %d  (plain IMAP, no TLS: this machine only)\n", s.Host, s.Port)
	fmt.Fprintf(a.Out, "  user      %s\n", s.User)
	fmt.Fprintf(a.Out, "  password  in %s\n", s.PasswordFile)
	fmt.Fprintf(a.Out, "  folders   %s  (one per mailbox; INBOX stays empty)\n", folders)
	fmt.Fprintf(a.Out, "  config    %s\n", s.Config)
	if tail != "" {
		fmt.Fprintln(a.Out, tail)
	}
	return nil
}

// nonNil makes an empty list print as [] in JSON.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
