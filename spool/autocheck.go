package spool

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/mail"
	"os"
	"sort"
	"strings"
	"time"
)

// Auto-check: the original tool's "auto checking every N minutes", kept per name in
// state/autocheck/NAME.json. With it on, the Stop hook keeps an agent
// working while mail waits, and the MCP auto_process tool records each
// check here.

// The auto-check interval bounds, in minutes.
const (
	DefaultAutoCheckMinutes = 5
	MinAutoCheckMinutes     = 1
	MaxAutoCheckMinutes     = 60
)

// AutoCheck is the auto-check state of one name.
type AutoCheck struct {
	Name            string    `json:"name"`
	Enabled         bool      `json:"enabled"`
	IntervalMinutes int       `json:"interval_minutes"`
	LastCheck       time.Time `json:"last_check,omitzero"` // the last check of the mailbox, by any reader
	LastBlock       time.Time `json:"last_block,omitzero"` // the last time the Stop hook held the agent back
}

// ErrBadInterval reports an auto-check interval outside 1–60 minutes.
var ErrBadInterval = errors.New("auto-check interval must be 1 to 60 minutes")

func (s *Spool) autoCheckPath(name, ext string) string {
	return s.path(dirState, "autocheck", name+ext)
}

// AutoCheck returns name's auto-check state; a name never configured has
// it off, every DefaultAutoCheckMinutes. LastCheck is the later of the
// recorded check and the mailbox's last read.
func (s *Spool) AutoCheck(name string) (AutoCheck, error) {
	if err := ValidName(name); err != nil {
		return AutoCheck{}, err
	}
	ac, err := s.readAutoCheck(name)
	if seen := s.activity(name); seen.After(ac.LastCheck) {
		ac.LastCheck = seen
	}
	return ac, err
}

func (s *Spool) readAutoCheck(name string) (AutoCheck, error) {
	ac := AutoCheck{Name: name, IntervalMinutes: DefaultAutoCheckMinutes}
	b, err := os.ReadFile(s.autoCheckPath(name, ".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return ac, nil
	}
	if err != nil {
		return ac, fmt.Errorf("read auto-check state of %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &ac); err != nil {
		return ac, fmt.Errorf("read auto-check state of %s: %w", name, err)
	}
	ac.Name = name
	if ac.IntervalMinutes < MinAutoCheckMinutes || ac.IntervalMinutes > MaxAutoCheckMinutes {
		ac.IntervalMinutes = DefaultAutoCheckMinutes
	}
	return ac, nil
}

// updateAutoCheck changes name's state under a lock (state/autocheck/
// NAME.lock, never deleted), so a check recorded by one process cannot undo
// a stop made by another.
func (s *Spool) updateAutoCheck(name string, change func(*AutoCheck)) (AutoCheck, error) {
	if err := ValidName(name); err != nil {
		return AutoCheck{}, err
	}
	if err := s.mkdir(s.path(dirState, "autocheck")); err != nil {
		return AutoCheck{}, fmt.Errorf("auto-check: %w", err)
	}
	lk, err := openLock(s.autoCheckPath(name, ".lock"))
	if err != nil {
		return AutoCheck{}, fmt.Errorf("auto-check: %w", err)
	}
	defer lk.close()
	if err := lk.lock(); err != nil {
		return AutoCheck{}, fmt.Errorf("auto-check: %w", err)
	}
	ac, err := s.readAutoCheck(name)
	if err != nil {
		ac = AutoCheck{Name: name, IntervalMinutes: DefaultAutoCheckMinutes} // damaged: start afresh
	}
	change(&ac)
	b, _ := json.MarshalIndent(ac, "", "  ")
	if err := s.writeFileAtomic(s.autoCheckPath(name, ".json"), append(b, '\n'), 0o600); err != nil {
		return ac, fmt.Errorf("auto-check: %w", err)
	}
	return ac, nil
}

// StartAutoCheck turns auto-check on for name every minutes minutes (0:
// DefaultAutoCheckMinutes); it fails with ErrBadInterval outside 1–60.
func (s *Spool) StartAutoCheck(name string, minutes int) (AutoCheck, error) {
	if minutes == 0 {
		minutes = DefaultAutoCheckMinutes
	}
	if minutes < MinAutoCheckMinutes || minutes > MaxAutoCheckMinutes {
		return AutoCheck{}, fmt.Errorf("%w (got %d)", ErrBadInterval, minutes)
	}
	return s.updateAutoCheck(name, func(ac *AutoCheck) { ac.Enabled, ac.IntervalMinutes = true, minutes })
}

// StopAutoCheck turns auto-check off for name, keeping its interval.
func (s *Spool) StopAutoCheck(name string) (AutoCheck, error) {
	return s.updateAutoCheck(name, func(ac *AutoCheck) { ac.Enabled = false })
}

// RecordCheck notes that name's mail has just been checked automatically.
func (s *Spool) RecordCheck(name string) error {
	now := s.clock().UTC()
	_, err := s.updateAutoCheck(name, func(ac *AutoCheck) { ac.LastCheck = now })
	return err
}

// RecordBlock notes that the Stop hook held name's agent back at t because
// of the mail that had arrived by then.
func (s *Spool) RecordBlock(name string, t time.Time) error {
	_, err := s.updateAutoCheck(name, func(ac *AutoCheck) { ac.LastBlock = t.UTC() })
	return err
}

// Summary is what a hook shows of one unread message: its headers, never
// its body.
type Summary struct {
	ID      string    `json:"id"`
	From    string    `json:"from"`
	Subject string    `json:"subject"`
	Arrived time.Time `json:"arrived"`
	Name    string    `json:"-"` // file name in new/ or cur/
	// Provenance is how the sender was established (see Message).
	Provenance Provenance `json:"provenance"`
}

// Glance is a cheap look at a mailbox's unread mail.
type Glance struct {
	Unread int       // unread messages (no S flag), in new/ or cur/
	Since  int       // of those, how many arrived after the time given to Glance
	Newest []Summary // the newest few, oldest first
}

// Glance counts the unread messages and reads the headers of the newest
// max of them, for hooks that must answer in a few milliseconds however
// much mail the mailbox holds: it lists new/ and the unread files of cur/
// (from the index of unseen mail, never by listing cur/), takes
// arrival times from the Maildir names (a stat only for names in another
// form) and reads no body — except, when a shared secret is set, the few
// it shows, whose signatures it checks (forged ones are left out and not
// counted). Nothing is claimed, moved or written.
func (mb *Mailbox) Glance(max int, since time.Time) (Glance, error) {
	ents, err := mb.unreadEntries()
	if err != nil {
		return Glance{}, fmt.Errorf("glance at %s: %w", mb.Name, err)
	}
	type arrival struct {
		e  entry
		at time.Time
	}
	all := make([]arrival, len(ents))
	for i, e := range ents {
		all[i] = arrival{e, mb.sp.deliveredAt(mb.path(e), e.key())}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return all[i].e.name < all[j].e.name
	})
	g := Glance{Unread: len(all)}
	for _, a := range all {
		if !since.IsZero() && a.at.After(since) {
			g.Since++
		}
	}
	for i := len(all) - 1; i >= 0 && len(g.Newest) < max; i-- {
		sum, ok := mb.summarize(all[i].e, all[i].at)
		if !ok {
			g.Unread--
			if !since.IsZero() && all[i].at.After(since) {
				g.Since--
			}
			continue
		}
		g.Newest = append(g.Newest, sum)
	}
	for i, j := 0, len(g.Newest)-1; i < j; i, j = i+1, j-1 {
		g.Newest[i], g.Newest[j] = g.Newest[j], g.Newest[i]
	}
	return g, nil
}

// summarize reads the headers of one unread file. ok is false for a file
// that is gone, not a regular file of ours, or fails its signature.
func (mb *Mailbox) summarize(e entry, at time.Time) (Summary, bool) {
	key := e.key()
	path := mb.path(e)
	sum := Summary{ID: idFromKey(key), Arrived: at, Name: e.name, Provenance: ProvDropIn}
	if sum.ID == "" {
		sum.ID = key
	}
	f, err := openNoFollow(path)
	if err != nil {
		return sum, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || unsafeFile(fi) != "" {
		return sum, false
	}
	if secret := mb.sp.Config.Secret; secret != "" {
		m, err := ParseMessage(io.LimitReader(f, maxMessage), key, fi.ModTime())
		if err != nil || mb.distrust(m, e) != "" {
			return sum, false
		}
		mb.sp.settleProvenance(m)
		sum.ID, sum.From, sum.Subject, sum.Provenance = m.ID, m.From, m.Subject, m.Provenance
		return sum, true
	}
	br := bufio.NewReaderSize(io.LimitReader(f, 64<<10), 4096)
	msg, err := mail.ReadMessage(br)
	if err != nil || !looksLikeMail(msg.Header) {
		// A script's plain text: its first line is the subject.
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			head := make([]byte, 4096)
			n, _ := io.ReadFull(f, head)
			sum.Subject = Subject(string(head[:n]))
		}
		return sum, true
	}
	h := msg.Header
	if a, err := mail.ParseAddress(h.Get("From")); err == nil && localPart(a.Address) != "unknown" {
		sum.From = localPart(a.Address)
	}
	sum.Subject = h.Get("Subject")
	if dec, err := (&mime.WordDecoder{}).DecodeHeader(sum.Subject); err == nil {
		sum.Subject = dec
	}
	sum.Subject = strings.TrimSpace(sum.Subject)
	if sum.Subject == "" {
		head := make([]byte, 4096)
		n, _ := io.ReadFull(msg.Body, head)
		sum.Subject = Subject(string(head[:n]))
	}
	if ids := msgIDs(h.Get("Message-Id")); len(ids) > 0 {
		sum.ID = ids[0]
	}
	if h.Get(hdrSeal) != "" { // ipc's own: the seal covers the body, so read it all
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			if m, err := ParseMessage(io.LimitReader(f, maxMessage), key, fi.ModTime()); err == nil {
				mb.sp.settleProvenance(m)
				sum.Provenance = m.Provenance
			}
		}
	}
	return sum, true
}

// announceMaxAge is how long a hook's announcement mark is kept.
const announceMaxAge = 7 * 24 * time.Hour

// announcePath names the mark of what the hooks told one session about
// name's mail: state/hook/NAME.DIGEST, its mtime the arrival of the newest
// message announced.
func (s *Spool) announcePath(name, session string) string {
	sum := sha256.Sum256([]byte(session))
	return s.path(dirState, "hook", name+"."+hex.EncodeToString(sum[:8]))
}

// Announced returns the arrival time of the newest message of name's that
// a hook has announced to session (Claude Code's session_id); zero if none.
func (s *Spool) Announced(name, session string) time.Time {
	if ValidName(name) != nil {
		return time.Time{}
	}
	b, err := readNoFollow(s.announcePath(name, session))
	if err != nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	return t
}

// RecordAnnounced notes that a hook has told session about name's mail up
// to the message that arrived at newest.
func (s *Spool) RecordAnnounced(name, session string, newest time.Time) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := s.mkdir(s.path(dirState, "hook")); err != nil {
		return fmt.Errorf("record announcement: %w", err)
	}
	// The time is the content; the file's mtime says when it was written,
	// which is what CleanTmp ages marks by.
	b := []byte(newest.UTC().Format(time.RFC3339Nano) + "\n")
	if err := s.writeFileAtomic(s.announcePath(name, session), b, 0o600); err != nil {
		return fmt.Errorf("record announcement: %w", err)
	}
	return nil
}
