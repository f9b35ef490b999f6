package spool

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// Provenance says how a message's sender was established. The spool sets
// it when it writes a message and records it in the X-IPC-Provenance
// header; a reader believes that header only when the spool's seal (and,
// with IPC_SHARED_SECRET set, the signature) over it verifies, so a file
// that claims "session" but was dropped in by other means reads as
// ProvDropIn.
type Provenance string

// How a sender can be established.
const (
	// ProvSession: the sending process held the name's owner.lock, or
	// descends from its holder or from the holder's agent session.
	ProvSession Provenance = "session"
	// ProvCLI: a name nobody held, given with --as or IPC_NAME (a script,
	// cron, a person at a shell). Anyone could have written it.
	ProvCLI Provenance = "cli"
	// ProvDropIn: a file that arrived in new/ or outbox/ without going
	// through ipc (a script's mv, safecat, maildrop). Its From is a claim.
	ProvDropIn Provenance = "drop-in"
	// ProvSendmail: delivered by 'ipc sendmail' for a name nobody held.
	ProvSendmail Provenance = "sendmail"
	// ProvBridge: carried from another host; the host is named beside it.
	ProvBridge Provenance = "bridge"
)

// Verified reports whether p vouches for the sender's name: only a session
// does. Front ends mark everything else plainly to the reader.
func (p Provenance) Verified() bool { return p == ProvSession }

// Header names of the provenance and of the seal that covers it.
const (
	hdrProvenance = "X-IPC-Provenance"
	hdrSeal       = "X-IPC-Seal"
)

// provenanceHeader writes p (and the host, for a bridge) as the header's
// value: "session", "bridge; host=h2".
func provenanceHeader(p Provenance, host string) string {
	if host == "" {
		return string(p)
	}
	return string(p) + "; host=" + host
}

// parseProvenance reads a header written by provenanceHeader. Anything
// else, or an unknown value, is ProvDropIn.
func parseProvenance(v string) (Provenance, string) {
	head, params, _ := strings.Cut(v, ";")
	p := Provenance(strings.TrimSpace(head))
	switch p {
	case ProvSession, ProvCLI, ProvDropIn, ProvSendmail, ProvBridge:
	default:
		return ProvDropIn, ""
	}
	var host string
	for _, kv := range strings.Split(params, ";") {
		if k, val, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "host" {
			host = strings.TrimSpace(val)
		}
	}
	return p, host
}

// sealKeyFile holds the spool's own random key, made on first use. The
// seal it makes tells ipc's own deliveries from drop-ins; a process that
// can read the spool can read the key too, which is why the seal is no
// defence against a hostile process of the same user (see the README's
// threat model), only against a drop-in that copies headers.
const sealKeyFile = "seal.key"

// sealKey returns the spool's seal key, creating it (0600, 32 random
// bytes as hex) if it does not exist yet. Two processes that create it at
// once agree: the second rename is refused and it reads the first's.
func (s *Spool) sealKey() ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	path := s.path(dirState, sealKeyFile)
	b, err := readNoFollow(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = s.createSealKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("seal key %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("%w: seal key %s is damaged; move it aside (mail sealed with it then reads as drop-in)",
			ErrUnavailable, path)
	}
	s.key = key
	return key, nil
}

// createSealKey writes a fresh key at path unless one appeared meanwhile,
// and returns what path then holds.
func (s *Spool) createSealKey(path string) ([]byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+sealKeyFile+".tmp"+newID())
	if err := s.writeFileAtomic(tmp, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
		return nil, err
	}
	err := s.fs.RenameNoReplace(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		_ = s.fs.Remove(tmp)
	} else if err != nil {
		_ = s.fs.Remove(tmp)
		return nil, err
	}
	if err := s.fs.SyncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return readNoFollow(path)
}

// seal sets m's seal over everything its signature covers plus its
// provenance, with the spool's key.
func (s *Spool) seal(m *Message) error {
	key, err := s.sealKey()
	if err != nil {
		return err
	}
	m.seal = m.mac(key, true, m.Provenance, m.ProvenanceHost)
	return nil
}

// settleProvenance sets what a message read from disk may claim: the
// provenance in its header when the spool's seal over it verifies, else
// ProvDropIn. A spool whose key cannot be read believes nothing.
func (s *Spool) settleProvenance(m *Message) {
	m.Provenance, m.ProvenanceHost = ProvDropIn, ""
	if m.seal == "" || m.claim == "" {
		return
	}
	key, err := s.sealKey()
	if err != nil {
		return
	}
	if hmac.Equal([]byte(m.mac(key, true, m.claim, m.claimHost)), []byte(m.seal)) {
		m.Provenance, m.ProvenanceHost = m.claim, m.claimHost
	}
}

// HeldError refuses acting as a name that another live process holds:
// sending, replying, renaming or reading as it. It matches ErrNameTaken.
type HeldError struct {
	Name   string
	Holder Holder
}

func (e *HeldError) Error() string {
	who := "another live process"
	if e.Holder.PID > 0 {
		who = fmt.Sprintf("live process %d", e.Holder.PID)
		if !e.Holder.Since.IsZero() {
			who += fmt.Sprintf(" (since %s)", e.Holder.Since.Local().Format(time.TimeOnly))
		}
	}
	return fmt.Sprintf("%s is held by %s: only that process and its own agent session may send, reply, rename "+
		"or check as %s; use your own name, or stop that process", e.Name, who, e.Name)
}

func (e *HeldError) Unwrap() error { return ErrNameTaken }

// ProcReader reads a process's parent pid and command name; it is how the
// spool sees process ancestry (/proc on Linux).
type ProcReader func(pid int) (ppid int, comm string, err error)

// WithProcs lets the spool see process ancestry through read, so that a
// child of a name's holder, or another process of the holder's agent
// session, may act as the name. agents names the programs whose children
// form one session (Claude Code: "claude"); the holder records its session
// when it claims a name, so a caller cannot widen the rule through its
// own environment. Without it only the holder itself may act as its name.
func WithProcs(read ProcReader, agents map[string]bool) Option {
	return func(s *Spool) { s.procs, s.agents = read, agents }
}

// How far up a process tree the ancestry rule looks: a hook runs through
// a shell or two below Claude Code, an MCP server directly or through a
// launcher (npx, a wrapper), a share-command child below its server.
const (
	maxSessionClimb = 4
	maxDescentClimb = 8
)

// Vouch says how far the calling process may be believed when it acts as
// name: ProvSession when it holds the name's owner.lock or descends from
// its holder or the holder's agent session, ProvCLI when no live process
// holds the name, and a *HeldError (ErrNameTaken) when someone else does.
func (s *Spool) Vouch(name string) (Provenance, error) {
	name, err := s.Canonical(name)
	if err != nil {
		return "", err
	}
	if lk, ok := s.owned.Load(name); ok && s.lockedAt(lk.(*ownerLock).f, name) {
		return ProvSession, nil // this process holds it: no need to ask the lock
	}
	o := s.owner(name)
	h := o.holder
	switch {
	case !o.online:
		return ProvCLI, nil
	case s.related(h):
		return ProvSession, nil
	}
	return "", &HeldError{Name: name, Holder: h}
}

// related reports whether this process is h's holder, descends from it,
// or shares the agent session h recorded when it claimed the name (and
// the holder still belongs to it: a pid is never trusted alone).
func (s *Spool) related(h Holder) bool {
	if h.PID > 0 && h.PID == s.pid {
		return true
	}
	if s.procs == nil || h.PID <= 0 {
		return false
	}
	if s.descends(s.pid, h.PID, maxDescentClimb) {
		return true
	}
	return h.Session > 1 && s.descends(h.PID, h.Session, maxSessionClimb) &&
		s.descends(s.pid, h.Session, maxDescentClimb)
}

// descends reports whether anc is among the first climb ancestors of pid.
func (s *Spool) descends(pid, anc, climb int) bool {
	for i := 0; i < climb && pid > 1; i++ {
		pp, _, err := s.procs(pid)
		if err != nil || pp <= 0 {
			return false
		}
		if pp == anc {
			return true
		}
		pid = pp
	}
	return false
}

// session returns the pid of the nearest agent program above pid (its
// Claude Code), or 0.
func (s *Spool) session(pid int) int {
	if s.procs == nil {
		return 0
	}
	for i := 0; i < maxSessionClimb && pid > 1; i++ {
		pp, _, err := s.procs(pid)
		if err != nil || pp <= 1 {
			return 0
		}
		if _, comm, err := s.procs(pp); err == nil && s.agents[comm] {
			return pp
		}
		pid = pp
	}
	return 0
}

// establish decides the provenance of a draft from how its sender is
// known: a bridge names the host it came from; any other sender with a
// name is vouched for by Vouch, so acting as a name someone else holds is
// refused before anything is written.
func (s *Spool) establish(d Draft) (Provenance, string, error) {
	switch d.Via {
	case ProvBridge:
		if d.ViaHost == "" {
			return "", "", fmt.Errorf("%w: mail from a bridge must name the host it came from", ErrBadName)
		}
		return ProvBridge, d.ViaHost, nil
	case "", ProvSendmail:
	default:
		return "", "", fmt.Errorf("send: %q is not a provenance a sender may give (only %q or %q)", d.Via, ProvSendmail, ProvBridge)
	}
	unheld := ProvCLI
	if d.Via == ProvSendmail {
		unheld = ProvSendmail
	}
	if d.From == "" {
		return unheld, "", nil
	}
	p, err := s.Vouch(d.From)
	if err != nil {
		return "", "", err
	}
	if p == ProvCLI {
		p = unheld
	}
	return p, "", nil
}

// Caution says in one plain sentence why m's sender is not vouched for,
// for the text a model or a person reads; "" for a session's mail.
func (m *Message) Caution() string {
	switch m.Provenance {
	case ProvSession:
		return ""
	case ProvCLI:
		return "unverified sender: sent with --as or IPC_NAME by a process that does not hold the name, so anyone could have sent it"
	case ProvSendmail:
		return "unverified sender: delivered by ipc sendmail for a name nobody held, so anyone could have sent it"
	case ProvBridge:
		host := m.ProvenanceHost
		if host == "" {
			host = "another host"
		}
		return "sender on " + host + ", carried by the bridge: only as trustworthy as that host"
	}
	return "unverified sender: a file put into the mailbox by other means than ipc; its From is only a claim"
}
