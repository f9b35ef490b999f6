package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Mail for other hosts. An address NAME@HOST whose HOST is not this one is
// remote: Send does not deliver it into a mailbox but queues one copy per
// remote recipient in the Maildir remote/ (tmp → fsync → new/ → fsync, as
// any delivery), with an X-IPC-Envelope-To header naming the recipient
// prepended. A bridge drains remote/new/ and removes a file only once the
// other side holds the message; the spool itself never sends anything over
// a network. A broadcast queues one copy addressed to EnvelopeAllHosts when
// the fleet (remote/fleet.json, written by the bridge) knows other hosts.

// EnvelopeHeader names the header prepended to a queued remote copy: the
// one address this copy is for.
const EnvelopeHeader = "X-IPC-Envelope-To"

// EnvelopeAllHosts is the envelope address of a broadcast to every other host.
const EnvelopeAllHosts = "*"

const dirRemote = "remote"

// ValidHost reports whether host may be used as a host in an address: 1 to
// 63 letters, digits, '-' or '_', starting with a letter or digit (no dots:
// a host is one token of a NATS subject).
func ValidHost(host string) error {
	if !IsToken(host, 63) || host[0] == '-' || host[0] == '_' {
		return fmt.Errorf("%w: host %q: use 1 to 63 letters, digits, '-' or '_'", ErrBadName, host)
	}
	return nil
}

// SplitAddress splits NAME or NAME@HOST into its parts, checking both.
func SplitAddress(addr string) (name, host string, err error) {
	name, host, remote := strings.Cut(addr, "@")
	if err := ValidName(name); err != nil {
		return "", "", err
	}
	if remote {
		if err := ValidHost(host); err != nil {
			return "", "", err
		}
	}
	return name, host, nil
}

// ValidAddress reports whether addr is a name or NAME@HOST.
func ValidAddress(addr string) error {
	_, _, err := SplitAddress(addr)
	return err
}

// RemoteDir returns the Maildir of mail queued for other hosts.
func (s *Spool) RemoteDir() string { return s.path(dirRemote) }

// localAddress returns addr as the local name it means — NAME@HOST for
// this host is NAME; a plain name that has no mailbox here but that the
// fleet knows on exactly one other host becomes NAME@THATHOST — and
// whether it is remote.
func (s *Spool) localAddress(addr string) (string, bool, error) {
	name, host, err := SplitAddress(addr)
	if err != nil {
		return "", false, err
	}
	if host != "" && !strings.EqualFold(host, s.host) {
		return name + "@" + host, true, nil
	}
	if name, err = s.Canonical(name); err != nil {
		return "", false, err
	}
	if host != "" {
		return name, false, nil
	}
	if mb, err := s.Mailbox(s.Resolve(name)); err == nil && !mb.Exists() {
		if hosts := s.Fleet().HostsOf(name); len(hosts) == 1 {
			return name + "@" + hosts[0], true, nil
		}
	}
	return name, false, nil
}

// queueRemote queues data for the remote address to in remote/.
func (s *Spool) queueRemote(to, id string, data []byte) (Delivered, error) {
	dl := Delivered{To: to, Mailbox: to, Remote: true}
	if err := s.ensureRemote(); err != nil {
		return dl, err
	}
	env := append([]byte(EnvelopeHeader+": "+to+"\n"), data...)
	h, err := s.holdMaildir(s.RemoteDir())
	if err != nil {
		return dl, err
	}
	defer h.close()
	dl.Path, err = s.deliverHeld(h, s.RemoteDir(), id, env)
	return dl, err
}

// ensureRemote creates remote/{tmp,new} durably.
func (s *Spool) ensureRemote() error {
	for _, d := range []string{s.RemoteDir(), filepath.Join(s.RemoteDir(), "tmp"), filepath.Join(s.RemoteDir(), "new")} {
		if err := s.mkdir(d); err != nil {
			return fmt.Errorf("queue for another host: %w", err)
		}
	}
	return nil
}

// RemoteQueued returns how many messages wait in remote/new/ for a bridge
// to carry them.
func (s *Spool) RemoteQueued() (int, error) {
	ents, err := os.ReadDir(filepath.Join(s.RemoteDir(), "new"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("spool: count remote queue: %w", err)
	}
	n := 0
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n, nil
}

// Fleet is what a bridge last learned of other hosts: each host's names.
type Fleet struct {
	Updated time.Time            `json:"updated"`
	Hosts   map[string]FleetHost `json:"hosts"`
}

// FleetHost is one other host as the fleet knows it.
type FleetHost struct {
	Names map[string]FleetName `json:"names"`
}

// FleetName is one name on another host.
type FleetName struct {
	Online    bool      `json:"online"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	ForwardTo string    `json:"forward_to,omitempty"`
	// ForwardUntil is when the forward ends.
	ForwardUntil time.Time `json:"forward_until,omitzero"`
}

// HostsOf returns the other hosts on which name exists, sorted.
func (f Fleet) HostsOf(name string) []string {
	var out []string
	for h, fh := range f.Hosts {
		if _, ok := fh.Names[name]; ok {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Spool) fleetPath() string { return filepath.Join(s.RemoteDir(), "fleet.json") }

// Fleet returns the fleet recorded by the bridge; empty when there is none.
func (s *Spool) Fleet() Fleet {
	var f Fleet
	b, err := readNoFollow(s.fleetPath())
	if err != nil || json.Unmarshal(b, &f) != nil {
		return Fleet{}
	}
	return f
}

// WriteFleet records f atomically for Send, Broadcast and List to read.
func (s *Spool) WriteFleet(f Fleet) error {
	if err := s.ensureRemote(); err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("spool: write fleet: %w", err)
	}
	return s.writeFileAtomic(s.fleetPath(), append(b, '\n'), 0o600)
}

// ReplyAddress returns the address a reply (or a receipt) to m goes to: its sender, with
// the sender's host when that is not this one.
func (s *Spool) ReplyAddress(m *Message) string {
	if m.FromHost == "" || strings.EqualFold(m.FromHost, s.host) || ValidHost(m.FromHost) != nil {
		return m.From
	}
	return m.From + "@" + m.FromHost
}

// Carried returns m, a message a bridge carried from host and verified,
// as it is to be delivered here: provenance "bridge; host=HOST", signed
// again with the shared secret (the signature covers the provenance) and
// sealed with this spool's key, formatted with its ids and thread intact.
func (s *Spool) Carried(m *Message, host string) ([]byte, error) {
	if err := ValidHost(host); err != nil {
		return nil, err
	}
	c := *m
	c.Provenance, c.ProvenanceHost = ProvBridge, host
	c.Signature = ""
	if s.Config.Secret != "" {
		c.Signature = c.sign(s.Config.Secret)
	}
	if err := s.seal(&c); err != nil {
		return nil, fmt.Errorf("carry message %s from %s: %w", m.ID, host, err)
	}
	return c.Format(host), nil
}

// FleetInfos returns the other hosts' names as the bridge last saw them,
// as lines of ipc list named NAME@HOST, sorted.
func (s *Spool) FleetInfos() []NameInfo {
	f := s.Fleet()
	var out []NameInfo
	for host, fh := range f.Hosts {
		for name, fn := range fh.Names {
			ni := NameInfo{Name: name + "@" + host, Online: fn.Online, LastSeen: fn.LastSeen, Registered: true}
			if fn.ForwardTo != "" {
				ni.Forward = &Forward{From: ni.Name, To: fn.ForwardTo + "@" + host, Until: fn.ForwardUntil}
			}
			out = append(out, ni)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
