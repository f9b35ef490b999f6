package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// ErrUnavailable reports a spool that cannot be used: its path is not a
// directory, it cannot be created, or it is damaged.
var ErrUnavailable = errors.New("spool unavailable")

// Config holds the spool's limits. DefaultConfig gives the defaults; a
// config.json in the spool root and the environment override them.
type Config struct {
	RatePerMinute  int           `json:"rate_limit"`      // messages a sender may send a minute; 0: no limit
	MaxUnread      int           `json:"max_unread"`      // unread messages a mailbox may hold; 0: no limit
	LargeThreshold int           `json:"large_threshold"` // bodies longer than this many bytes go to large/
	ForwardFor     time.Duration `json:"-"`               // how long a renamed name forwards
	RenameEvery    time.Duration `json:"-"`               // minimum time between two renames of one name
	OrphanAfter    time.Duration `json:"-"`               // mail for never-registered names is quarantined after this
	Secret         string        `json:"-"`               // IPC_SHARED_SECRET: sign and verify every message
	// Bridge is config.json's "bridge" object, the NATS bridge's settings;
	// the bridge package reads it.
	Bridge json.RawMessage `json:"bridge,omitempty"`
}

// DefaultConfig returns the limits ipc ships with.
func DefaultConfig() Config {
	return Config{
		RatePerMinute:  100,
		MaxUnread:      10000,
		LargeThreshold: 10 * 1024,
		ForwardFor:     2 * time.Hour,
		RenameEvery:    time.Hour,
		OrphanAfter:    7 * 24 * time.Hour,
	}
}

// Spool is an open spool directory. Its methods are safe for concurrent use
// by several goroutines and several processes.
type Spool struct {
	Root   string
	Config Config

	fs        FS
	clock     func() time.Time
	configSet bool // WithConfig was given: read no config.json
	host      string
	pid       int
	seq       atomic.Uint64
	synced    sync.Map    // the mailboxes this process has fsynced (see ensureMailbox)
	commits   sync.Map    // directory → *groupCommit, shared by concurrent deliveries (see syncNew)
	owned     sync.Map    // name → *ownerLock of the claims this process holds (see Vouch)
	seenDir   atomic.Bool // state/seen/ is known to exist (see Touch)
	ids       idIndex     // which files hold which signed ids, for replays (see distrust)

	procs  ProcReader      // process ancestry, for Vouch; nil: only the holder itself
	agents map[string]bool // programs whose children form one agent session
	keyMu  sync.Mutex
	key    []byte // the seal key, once read

	foldOnce sync.Once
	folds    bool // the file system ignores case (see foldsCase)

	probe fsProbe    // how Open asks what the file system can do
	fsys  FileSystem // what it found (fscheck.go)
}

// Option changes how Open sets up a Spool; tests use them to inject time,
// file-system failures and configuration.
type Option func(*Spool)

// WithClock makes the spool read the time from now.
func WithClock(now func() time.Time) Option { return func(s *Spool) { s.clock = now } }

// WithFS makes the spool perform its writes through fsys.
func WithFS(fsys FS) Option { return func(s *Spool) { s.fs = fsys } }

// WithConfig replaces the configuration read from disk and the environment.
func WithConfig(c Config) Option { return func(s *Spool) { s.Config, s.configSet = c, true } }

// DefaultRoot returns $IPC_HOME, else ~/.claude-ipc-data.
func DefaultRoot() (string, error) {
	if h := os.Getenv("IPC_HOME"); h != "" {
		return h, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("spool: find home directory: %w (set IPC_HOME)", err)
	}
	return filepath.Join(home, ".claude-ipc-data"), nil
}

// The directories below the root, created by Open.
const (
	dirMail       = "mail"
	dirOutbox     = "outbox"
	dirForwards   = "forwards"
	dirLarge      = "large"
	dirQuarantine = "quarantine"
	dirState      = "state"
)

// Open opens the spool at root, creating it (0700) if it does not exist. It
// refuses a spool owned by another user or writable by group or others,
// and one on a file system without what delivery needs (FileSystem says
// what it found).
func Open(root string, opts ...Option) (*Spool, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	s := &Spool{Root: abs, fs: osFS{}, clock: time.Now, pid: os.Getpid(), host: maildirHost(), probe: osProbe}
	for _, o := range opts {
		o(s)
	}
	if err := s.create(); err != nil {
		return nil, err
	}
	if err := s.checkFS(); err != nil {
		return nil, err
	}
	if !s.configSet { // read only once the root is known to be ours
		if s.Config, err = loadConfig(abs); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// create makes the root and its directories and checks who may write them.
func (s *Spool) create() error {
	if err := s.mkdirAll(filepath.Dir(s.Root)); err != nil {
		return fmt.Errorf("%w: create %s: %v", ErrUnavailable, filepath.Dir(s.Root), err)
	}
	if err := checkParents(s.Root); err != nil { // before anything is made there
		return err
	}
	switch err := s.fs.Mkdir(s.Root, 0o700); {
	case err == nil: // the root's own entry must survive a power cut too
		if err := s.fs.SyncDir(filepath.Dir(s.Root)); err != nil {
			return fmt.Errorf("%w: create %s: %v", ErrUnavailable, s.Root, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: create %s: %v", ErrUnavailable, s.Root, err)
	}
	if err := checkSafe(s.Root); err != nil {
		return err
	}
	for _, d := range []string{dirMail, dirOutbox, dirOutbox + "/tmp", dirOutbox + "/new",
		dirForwards, dirLarge, dirQuarantine, dirState} {
		if err := s.mkdir(filepath.Join(s.Root, d)); err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return nil
}

// checkSafe refuses a root that is not a directory, belongs to another user,
// or that group or others may enter: mail is private; and one whose parent
// directories let another user replace it (checkParents).
func checkSafe(root string) error {
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory; remove it or set IPC_HOME to another path", ErrUnavailable, root)
	}
	if owner, other := platform.OwnedByOther(fi); other {
		return fmt.Errorf("%w: %s is owned by %s, not you (uid %d); use your own spool (IPC_HOME) or chown it",
			ErrUnsafe, root, owner, os.Geteuid())
	}
	// Windows has no mode bits (every directory reads as 0777): the spool
	// relies on the ACL of the user's profile there (README).
	if platform.OwnershipChecked && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s is open to other users (mode %04o); run: chmod 700 %s",
			ErrUnsafe, root, fi.Mode().Perm(), root)
	}
	return checkParents(root)
}

// mkdirAll creates dir and any missing parents (0755: they are the
// user's, not the spool's) through the FS, fsyncing the parent of each it
// made, so that the spool's own directories hang from durable entries.
func (s *Spool) mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := s.mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := s.fs.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // made by another process meanwhile
		}
		return err
	}
	return s.fs.SyncDir(parent)
}

// mkdir creates dir (0700) if missing and, when it did, fsyncs its parent so
// the new entry is durable.
func (s *Spool) mkdir(dir string) error {
	err := s.fs.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return s.fs.SyncDir(filepath.Dir(dir))
}

// loadConfig reads root/config.json over the defaults, then the environment:
// IPC_RATE_LIMIT, IPC_MAX_UNREAD and IPC_SHARED_SECRET.
func loadConfig(root string) (Config, error) {
	c := DefaultConfig()
	b, err := readNoFollow(filepath.Join(root, "config.json"))
	switch {
	case err == nil:
		if err := decodeConfig(b, &c); err != nil {
			return c, fmt.Errorf("%s: %w", filepath.Join(root, "config.json"), err)
		}
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return c, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	for env, dst := range map[string]*int{"IPC_RATE_LIMIT": &c.RatePerMinute, "IPC_MAX_UNREAD": &c.MaxUnread} {
		if v := os.Getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return c, fmt.Errorf("%w: %s=%q: want a whole number, 0 for no limit", ErrBadConfig, env, v)
			}
			*dst = n
		}
	}
	c.Secret = os.Getenv("IPC_SHARED_SECRET")
	return c, nil
}

// decodeConfig reads config.json's content over c as strictly as the
// environment is read: a field ipc does not know, or a limit that is not
// a whole number in range, is ErrBadConfig naming the field; a file that
// is not JSON at all is ErrUnavailable (the spool is damaged).
func decodeConfig(b []byte, c *Config) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return fmt.Errorf("%w: %v (known fields: rate_limit, max_unread, large_threshold, bridge)", ErrBadConfig, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value", ErrBadConfig)
	}
	return c.Validate()
}

// Validate checks the limits: none may be negative (0 means no limit),
// and the large-message threshold must be positive.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"rate_limit", c.RatePerMinute}, {"max_unread", c.MaxUnread}} {
		if f.v < 0 {
			return fmt.Errorf("%w: %s is %d: want a whole number, 0 for no limit", ErrBadConfig, f.name, f.v)
		}
	}
	if c.LargeThreshold <= 0 {
		return fmt.Errorf("%w: large_threshold is %d: want a number of bytes above 0", ErrBadConfig, c.LargeThreshold)
	}
	return nil
}

// Now returns the spool's idea of the current time.
func (s *Spool) Now() time.Time { return s.clock() }

// Host returns the host name used in addresses and unique file names.
func (s *Spool) Host() string { return s.host }

// path joins parts below the root.
func (s *Spool) path(parts ...string) string {
	return filepath.Join(append([]string{s.Root}, parts...)...)
}

// maildirHost returns the hostname with '/' and ':' escaped as Maildir asks.
func maildirHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return strings.NewReplacer("/", `\057`, ":", `\072`).Replace(h)
}

// newID returns a fresh message id: 12 lowercase hex digits.
func newID() string {
	return fmt.Sprintf("%012x", rand.Uint64()&(1<<48-1))
}
