package dovecot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/spool"
)

// Dir is where everything of Dovecot's lives, relative to the spool root:
// its configuration, the password, the login file, indexes, uid lists,
// subscriptions, an empty INBOX and the run directory with its sockets.
const Dir = "state/imap"

// The defaults: the one login that sees every mailbox, and its port on
// 127.0.0.1 (above 1023, which a normal user may bind).
const (
	DefaultUser = "overseer"
	DefaultPort = 10143
	Host        = "127.0.0.1"
)

// ErrRoot is returned when ipc runs as root: Dovecot does not give IMAP
// access to mail owned by uid 0 ("userdb returned 0 as uid"), and its login
// processes refuse to run as root.
var ErrRoot = errors.New("dovecot: refused as root")

// ErrRunning is returned when a Dovecot started for this spool still runs.
var ErrRunning = errors.New("dovecot: already running")

// Setup is a configuration written for one spool: what Dovecot is run
// with, and what a mail client needs to connect.
type Setup struct {
	Dir          string   // the spool's state/imap
	Config       string   // dovecot.conf in Dir
	PasswordFile string   // the login's password, 0600
	Host         string   // always 127.0.0.1
	Port         int      // the IMAP port
	User         string   // the login
	Folders      []string // the mailboxes when it was written, one IMAP folder each
}

// Options say where to listen. Port 0 means DefaultPort.
type Options struct {
	Port int
}

// account is the system user Dovecot and the mail run as.
type account struct {
	name, group string
	uid, gid    int
}

// Write writes the configuration for sp into its state/imap/ and returns
// it. It keeps an existing password, so mail clients set up once keep
// working; everything else is written afresh, for the spool's path, the
// current user and port as they are now. It refuses root (ErrRoot), a
// spool whose Dovecot still runs (ErrRunning) and a spool path that
// Dovecot's configuration cannot hold.
func Write(sp *spool.Spool, o Options) (*Setup, error) {
	me, err := currentAccount()
	if err != nil {
		return nil, err
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	dir := filepath.Join(sp.Root, filepath.FromSlash(Dir))
	s := &Setup{Dir: dir, Config: filepath.Join(dir, "dovecot.conf"), PasswordFile: filepath.Join(dir, "password"),
		Host: Host, Port: o.Port, User: DefaultUser}
	if err := checkPaths(sp.MailDir(), s.runDir()); err != nil {
		return nil, err
	}
	if pid, ok := s.running(); ok {
		return nil, fmt.Errorf("%w: a Dovecot for this spool runs as pid %d (its %s): stop it first", ErrRunning, pid, filepath.Join(s.runDir(), "master.pid"))
	}
	for _, d := range []string{dir, s.runDir(), s.path("index"), s.path("control"), s.path("inbox"), s.path("home")} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
	}
	// Dovecot wants its base_dir readable by all (its login processes
	// may run as other users) and says so in its log otherwise; the spool
	// root, 0700, still keeps everyone else out.
	if err := os.Chmod(s.runDir(), 0o755); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	pw, err := password(s.PasswordFile)
	if err != nil {
		return nil, err
	}
	if s.Folders, err = sp.Names(); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	users, err := usersLine(s.User, pw, me, s.path("home"))
	if err != nil {
		return nil, err
	}
	conf, err := s.config(sp.MailDir(), me)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"users", users},
		{"acl", []byte(globalACL)},
		{filepath.Join("control", "subscriptions"), subscriptions(s.path("control", "subscriptions"), s.Folders)},
		{"dovecot.conf", conf},
	} {
		if err := writeFile(s.path(f.name), f.data); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Command returns Dovecot running in the foreground on the configuration:
// cancelling ctx asks it to stop (SIGTERM) and waits for it a while.
func (s *Setup) Command(ctx context.Context, program string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, program, "-F", "-c", s.Config)
	cmd.Dir = s.Dir
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	return cmd
}

func (s *Setup) path(elem ...string) string {
	return filepath.Join(append([]string{s.Dir}, elem...)...)
}

// runDir is Dovecot's base_dir: its sockets and pid file.
func (s *Setup) runDir() string { return s.path("run") }

// running reports a live Dovecot master whose pid file is in the run
// directory.
func (s *Setup) running() (int, bool) {
	b, err := os.ReadFile(filepath.Join(s.runDir(), "master.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, platform.Alive(pid)
}

// currentAccount is the user ipc runs as, refused when it is root.
func currentAccount() (account, error) {
	u, err := user.Current()
	if err != nil {
		return account{}, fmt.Errorf("dovecot: who runs ipc: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return account{}, fmt.Errorf("dovecot: user %s has no numeric uid and gid (%s, %s)", u.Username, u.Uid, u.Gid)
	}
	if uid == 0 {
		return account{}, fmt.Errorf("%w: Dovecot gives no IMAP access to mail owned by root: run ipc imap as the normal user whose spool it serves", ErrRoot)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("dovecot: the group of %s: %w", u.Username, err)
	}
	return account{name: u.Username, group: g.Name, uid: uid, gid: gid}, nil
}

// maxSocket is the longest Unix socket path every system takes (macOS
// and the BSDs: 104 bytes with the final NUL), and longestSocket Dovecot's
// longest name below its base_dir.
const (
	maxSocket     = 103
	longestSocket = "/token-login/imap-urlauth"
)

// checkPaths refuses a spool whose paths the configuration cannot carry:
// ':' separates the parts of a mail location, '%' starts a Dovecot
// variable, quotes and backslashes would end or escape a quoted value;
// and a run directory too deep for Dovecot's sockets.
func checkPaths(mailDir, runDir string) error {
	for _, p := range []string{mailDir, runDir} {
		if i := strings.IndexFunc(p, func(r rune) bool { return strings.ContainsRune(`:%"\`, r) || r < ' ' || r == 0x7f }); i >= 0 {
			return fmt.Errorf("dovecot: the spool's path %q holds %q, which a Dovecot configuration cannot carry: use a spool elsewhere (IPC_HOME)", p, p[i:i+1])
		}
	}
	if n := len(runDir) + len(longestSocket); n > maxSocket {
		return fmt.Errorf("dovecot: the spool's path is too long for Dovecot's sockets in %s (%d bytes, at most %d): use a spool at a shorter path (IPC_HOME)",
			runDir, n, maxSocket)
	}
	return nil
}

// globalACL grants the login every right on every folder but creating
// (k), deleting and renaming (x) and administering (a): mail may be read,
// flagged, expunged and added, but no mail client can remove a mailbox,
// with the lock files a live agent holds in it, nor make a directory in
// mail/ that ipc would take for a new name.
const globalACL = "* owner lrwstipe\n"

// configTemplate is the Dovecot 2.3 configuration. Values that are paths
// are quoted (a home directory may hold spaces), but for the passwd-file
// args, which take the rest of the line as the path once it starts with
// '/'; checkPaths keeps out what quoting cannot carry. It is parsed at
// first use, not at init, which every ipc process would pay.
var configTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("dovecot.conf").Funcs(template.FuncMap{"q": quote}).Parse(configText))
})

const configText = `# Written by ipc imap, and again at every start: edits here are lost.
# Dovecot 2.3, run by the user who owns the spool, without root.
protocols = imap
listen = {{.Host}}
base_dir = {{q .Run}}
state_dir = {{q .State}}
instance_name = ipc-imap
log_path = /dev/stderr

# Rootless: this user is Dovecot's internal and login user, nothing chroots.
default_internal_user = {{.Me.Name}}
default_internal_group = {{.Me.Group}}
default_login_user = {{.Me.Name}}
first_valid_uid = {{.Me.UID}}
last_valid_uid = {{.Me.UID}}
first_valid_gid = {{.Me.GID}}
last_valid_gid = {{.Me.GID}}

# Plain IMAP on the loopback address only (Dovecot counts it as secured).
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=SSHA512 {{.Users}}
}
userdb {
  driver = passwd-file
  args = {{.Users}}
}

# Every mailbox mail/NAME is the folder NAME. INBOX, indexes, uid lists and
# subscriptions are kept in state/imap, out of the Maildirs and of mail/.
mail_location = {{q .Location}}
mail_fsync = always
# Listed from mail/ each time: a name registered while Dovecot runs is a
# folder at once (a list index would not see a directory ipc made).
mailbox_list_index = no
maildir_copy_with_hardlinks = no
namespace inbox {
  inbox = yes
  separator = /
}
mail_plugins = acl
plugin {
  acl = {{q .ACL}}
  acl_globals_only = yes
}

service imap-login {
  chroot =
  inet_listener imap {
    address = {{.Host}}
    port = {{.Port}}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`

// quote makes v one quoted value of Dovecot's configuration (checkPaths
// has kept out the quotes and backslashes that would end or escape it).
func quote(v string) string { return `"` + v + `"` }

// config renders the configuration for the Maildirs under mailDir.
func (s *Setup) config(mailDir string, me account) ([]byte, error) {
	loc := "maildir:" + mailDir + ":LAYOUT=fs:INBOX=" + s.path("inbox") + ":INDEX=" + s.path("index") +
		":CONTROL=" + s.path("control") + ":VOLATILEDIR=" + s.path("run", "volatile")
	var b bytes.Buffer
	err := configTemplate().Execute(&b, map[string]any{
		"Host": s.Host, "Port": s.Port, "Run": s.runDir(), "State": s.path("run", "state"),
		"Me":    map[string]any{"Name": me.name, "Group": me.group, "UID": me.uid, "GID": me.gid},
		"Users": s.path("users"), "Location": loc, "ACL": "vfile:" + s.path("acl"),
	})
	if err != nil {
		return nil, fmt.Errorf("dovecot: write the configuration: %w", err)
	}
	return b.Bytes(), nil
}

// subscriptions returns Dovecot's subscriptions file (format 2: a header,
// then one folder a line) subscribing every folder already subscribed in
// the file at path and every one of folders, so that clients that show
// only subscribed folders show every mailbox.
func subscriptions(path string, folders []string) []byte {
	var b strings.Builder
	b.WriteString("V\t2\n\n")
	seen := map[string]bool{}
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			b.WriteString(name + "\n")
		}
	}
	if old, err := os.ReadFile(path); err == nil {
		body := string(old)
		if rest, ok := strings.CutPrefix(body, "V\t2\n\n"); ok {
			body = rest
		}
		for _, l := range strings.Split(body, "\n") {
			add(l)
		}
	}
	for _, f := range folders {
		add(f)
	}
	return []byte(b.String())
}

// writeFile replaces path with data (0600) by writing a temporary file
// beside it and renaming it over: a reader sees the old file or the new.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	defer os.Remove(f.Name()) // after the rename: nothing there
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("dovecot: write %s: %w", path, err)
	}
	return nil
}
