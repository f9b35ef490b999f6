package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// ErrConfig reports a bridge setting that cannot work; the message names it.
var ErrConfig = errors.New("bridge: bad setting")

// Config holds the bridge's settings: the "bridge" object of config.json,
// overridden by command-line flags.
type Config struct {
	URL     string `json:"nats"`               // nats://, tls:// or a comma-separated list of servers
	Creds   string `json:"creds,omitempty"`    // a NATS .creds file (JWT and nkey seed)
	NKey    string `json:"nkey,omitempty"`     // an nkey seed file
	TLSCA   string `json:"tls_ca,omitempty"`   // CA bundle that signs the server's certificate
	TLSCert string `json:"tls_cert,omitempty"` // client certificate, with TLSKey
	TLSKey  string `json:"tls_key,omitempty"`
	Host    string `json:"host,omitempty"` // this host's name in addresses and subjects; default: the hostname's first label

	// Tunables; tests shorten them. Zero takes the default.
	PresenceEvery time.Duration `json:"-"` // how often this host's names are written; default 15s
	PresenceTTL   time.Duration `json:"-"` // a host's entries expire after this unless renewed; default 2m
	RetryEvery    time.Duration `json:"-"` // how often a failed publish is retried; default 2s
	AckWait       time.Duration `json:"-"` // how long the server waits for an ack before offering again; default 10s
	MaxAge        time.Duration `json:"-"` // how long the stream keeps mail; default 7 days
	DedupWindow   time.Duration `json:"-"` // the stream's de-duplication window; default 1h
}

// Names of what the bridge creates on the server.
const (
	StreamName     = "IPC_MAIL"
	PresenceBucket = "ipc-presence"
	ObjectBucket   = "ipc-large"
)

// DefaultHost returns the hostname up to its first dot, with characters a
// subject token cannot hold replaced by '-'.
func DefaultHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	h, _, _ = strings.Cut(h, ".")
	b := []byte(h)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	return string(b)
}

// FromSpool returns the "bridge" object of the spool's config.json, if any.
func FromSpool(sp *spool.Spool) (Config, error) {
	var c Config
	if len(sp.Config.Bridge) == 0 {
		return c, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(sp.Config.Bridge)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: config.json \"bridge\": %v", ErrConfig, err)
	}
	return c, nil
}

// Merge returns c with every non-empty field of over replacing its own.
func (c Config) Merge(over Config) Config {
	for _, p := range []struct{ dst, src *string }{
		{&c.URL, &over.URL}, {&c.Creds, &over.Creds}, {&c.NKey, &over.NKey}, {&c.TLSCA, &over.TLSCA},
		{&c.TLSCert, &over.TLSCert}, {&c.TLSKey, &over.TLSKey}, {&c.Host, &over.Host},
	} {
		if *p.src != "" {
			*p.dst = *p.src
		}
	}
	return c
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Host == "" {
		c.Host = DefaultHost()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PresenceEvery, 15*time.Second)
	def(&c.PresenceTTL, 2*time.Minute)
	def(&c.RetryEvery, 2*time.Second)
	def(&c.AckWait, 10*time.Second)
	def(&c.MaxAge, 7*24*time.Hour)
	def(&c.DedupWindow, time.Hour)
	return c
}

// RedactedURL returns the server URL(s) without any user or password,
// for logs and status.
func (c Config) RedactedURL() string {
	parts := strings.Split(c.URL, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			u.User = nil
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

// Validate checks the settings, naming the one that is wrong.
func (c Config) Validate() error {
	if c.URL == "" {
		return fmt.Errorf("%w: no NATS server: give --nats URL or \"nats\" in config.json's \"bridge\"", ErrConfig)
	}
	if err := spool.ValidHost(c.Host); err != nil {
		return fmt.Errorf("%w: --host: %v", ErrConfig, err)
	}
	if c.Creds != "" && c.NKey != "" {
		return fmt.Errorf("%w: give --creds or --nkey, not both", ErrConfig)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key go together", ErrConfig)
	}
	for flag, path := range map[string]string{"--creds": c.Creds, "--nkey": c.NKey, "--tls-ca": c.TLSCA, "--tls-cert": c.TLSCert, "--tls-key": c.TLSKey} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrConfig, flag, err)
		}
	}
	if c.PresenceTTL > 0 && c.PresenceEvery >= c.PresenceTTL {
		return fmt.Errorf("%w: presence must be renewed more often than it expires", ErrConfig)
	}
	return nil
}
