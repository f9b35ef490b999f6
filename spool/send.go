package spool

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Draft is a message to send.
type Draft struct {
	From    string          // sender's name; "" for an unknown sender
	To      []string        // recipients' names (forwards are followed)
	Subject string          // "" takes the first line of Body
	Body    string          // the text
	Data    json.RawMessage // optional JSON object
	ReplyTo *Message        // the message answered, for threads

	// Via is empty for every sender but two: 'ipc sendmail' gives
	// ProvSendmail and a bridge ProvBridge with ViaHost naming the host the
	// mail came from. The spool decides the rest itself (see Vouch).
	Via     Provenance
	ViaHost string
}

// Delivered says what became of a message for one recipient.
type Delivered struct {
	To        string `json:"to"`                  // the name the sender gave
	Mailbox   string `json:"mailbox"`             // the mailbox that received it
	Forwarded bool   `json:"forwarded,omitempty"` // To has been renamed to Mailbox
	Queued    bool   `json:"queued,omitempty"`    // Mailbox has never been registered: kept for it
	Remote    bool   `json:"remote,omitempty"`    // To is NAME@HOST on another host: queued in remote/ for the bridge
	Path      string `json:"path"`
}

// Receipt says what Send did.
type Receipt struct {
	ID        string      `json:"id"`
	Delivered []Delivered `json:"delivered"`
	LargeFile string      `json:"large_file,omitempty"`
	// Warnings name copies that were delivered but whose directory fsync
	// failed: visible now, not certain to survive a power cut. Sending again
	// would deliver twice.
	Warnings []string `json:"warnings,omitempty"`
}

// DeliveryError reports recipients a multi-recipient send could not reach;
// the others have their copy. Errs maps each failed name to its error.
type DeliveryError struct {
	Receipt Receipt
	Errs    map[string]error
}

func (e *DeliveryError) Error() string {
	var parts []string
	for to, err := range e.Errs {
		parts = append(parts, fmt.Sprintf("%s: %v", to, err))
	}
	sort.Strings(parts)
	return fmt.Sprintf("spool: delivered to %d, failed for %d: %s",
		len(e.Receipt.Delivered), len(e.Errs), strings.Join(parts, "; "))
}

// Unwrap lets errors.Is and errors.As see every failure's cause.
func (e *DeliveryError) Unwrap() []error {
	var errs []error
	for _, err := range e.Errs {
		errs = append(errs, err)
	}
	return errs
}

// Send delivers d to each of its recipients durably and returns what
// happened. It checks every name and the sender's rate before writing
// anything; a refused message leaves no trace.
func (s *Spool) Send(d Draft) (Receipt, error) {
	m, err := s.compose(d)
	if err != nil {
		return Receipt{}, err
	}
	if m.Provenance, m.ProvenanceHost, err = s.establish(d); err != nil {
		return Receipt{}, err
	}
	if err := s.takeRate(m.From); err != nil {
		return Receipt{}, err
	}
	return s.post(m)
}

// compose checks a draft and turns it into a message, not yet written.
func (s *Spool) compose(d Draft) (*Message, error) {
	if d.From != "" {
		var err error
		if d.From, err = s.Canonical(d.From); err != nil {
			return nil, fmt.Errorf("sender: %w", err)
		}
	}
	if len(d.To) == 0 {
		return nil, fmt.Errorf("%w: no recipient given", ErrBadName)
	}
	to := make([]string, len(d.To))
	for i, addr := range d.To {
		var err error
		if to[i], _, err = s.localAddress(addr); err != nil {
			return nil, fmt.Errorf("recipient: %w", err)
		}
	}
	if n := len(d.Body) + len(d.Data) + len(d.Subject); n > MaxMessage {
		return nil, fmt.Errorf("%w: %d bytes is over the limit of %d MiB; save it to a file and send its path", ErrTooLarge, n, MaxMessage>>20)
	}
	if strings.TrimSpace(d.Body) == "" && len(d.Data) == 0 {
		return nil, fmt.Errorf("%w: give some text (or data)", ErrEmpty)
	}
	if len(d.Data) > 0 {
		if err := CheckData(d.Data); err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
	}
	m := &Message{ID: newID(), From: d.From, To: to, Date: s.clock(), Body: d.Body, Data: bytes.TrimSpace(d.Data)}
	m.Subject = shorten(strings.TrimSpace(d.Subject), 200)
	if m.Subject == "" {
		m.Subject = Subject(d.Body)
	}
	if r := d.ReplyTo; r != nil {
		m.InReplyTo = r.ID
		m.References = append(append([]string(nil), r.References...), r.ID)
		if m.Subject == Subject(d.Body) && r.Subject != "" {
			m.Subject = "Re: " + strings.TrimPrefix(r.Subject, "Re: ")
		}
	}
	return m, nil
}

// post writes m to each recipient, following forwards, after moving a large
// body to large/.
func (s *Spool) post(m *Message) (Receipt, error) {
	rc, data, err := s.prepare(m)
	if err != nil {
		return rc, err
	}
	return s.deliverAll(m, rc, data)
}

// prepare moves a large body to large/, signs m and formats it.
func (s *Spool) prepare(m *Message) (Receipt, []byte, error) {
	rc := Receipt{ID: m.ID}
	if len(m.Body) > s.Config.LargeThreshold && s.Config.LargeThreshold > 0 {
		if err := s.storeLarge(m); err != nil {
			return rc, nil, err
		}
		rc.LargeFile = m.LargeFile
	}
	if err := s.seal(m); err != nil {
		return rc, nil, err
	}
	if s.Config.Secret != "" {
		m.Signature = m.sign(s.Config.Secret)
	}
	return rc, m.Format(s.host), nil
}

// deliverAll writes data (m formatted) to each of m's recipients: a
// mailbox here, following forwards, or the remote queue for NAME@HOST.
func (s *Spool) deliverAll(m *Message, rc Receipt, data []byte) (Receipt, error) {
	errs := map[string]error{}
	got := map[string]bool{} // mailboxes served: "old,new" after a rename is one copy
	for _, to := range m.To {
		mailbox := s.Resolve(to) // once: each look reads forwards/
		if got[mailbox] {
			continue
		}
		var dl Delivered
		var err error
		if strings.Contains(to, "@") {
			dl, err = s.queueRemote(to, m.ID, data)
		} else {
			dl, err = s.deliverTo(to, mailbox, m.ID, data)
		}
		if err != nil && dl.Path == "" {
			errs[to] = err
			continue
		}
		if err != nil { // visible but perhaps not durable: not to be sent again
			rc.Warnings = append(rc.Warnings, err.Error())
		}
		got[dl.Mailbox] = true
		rc.Delivered = append(rc.Delivered, dl)
	}
	switch {
	case len(errs) == 0:
		return rc, nil
	case len(m.To) == 1:
		return rc, errs[m.To[0]]
	default:
		return rc, &DeliveryError{Receipt: rc, Errs: errs}
	}
}

// deliverTo writes one copy for the name to into mailbox, where its
// forward leads (Resolve(to)).
func (s *Spool) deliverTo(to, mailbox, id string, data []byte) (Delivered, error) {
	dl := Delivered{To: to, Mailbox: mailbox}
	dl.Forwarded = dl.Mailbox != to
	mb, _, err := s.ensureMailbox(dl.Mailbox)
	if err != nil {
		return dl, err
	}
	dl.Queued = !mb.Registered()
	if err := mb.checkQuota(); err != nil {
		return dl, err
	}
	dl.Path, err = s.deliverBytes(mb.Dir, id, data)
	return dl, err
}

// room returns how many more unread messages mb may take before its
// limit; -1 when there is no limit.
func (mb *Mailbox) room() (int, error) {
	limit := mb.sp.Config.MaxUnread
	if limit <= 0 {
		return -1, nil // never reaches 0 however much is taken
	}
	mb.forgetQuota() // what the caller moves in raises no bound: the next sender lists
	n, err := mb.Unread()
	if err != nil {
		return 0, err
	}
	return max(limit-n, 0), nil
}

// storeLarge writes m's full body to large/ (0600) and replaces the body by
// a summary that names the file.
func (s *Spool) storeLarge(m *Message) error {
	to := strings.Join(m.To, ",")
	if len(m.To) > 3 {
		to = "all"
	}
	from := m.From
	if from == "" {
		from = "unknown"
	}
	name := fmt.Sprintf("%s_%s_%s_%s.md", m.Date.Format("20060102-150405"), from, to, m.ID)
	path := s.path(dirLarge, name)
	head := fmt.Sprintf("From: %s\nTo: %s\nTime: %s\nSize: %d bytes\n\n", from, strings.Join(m.To, ", "),
		m.Date.Format(time.RFC3339), len(m.Body))
	full := append(append(make([]byte, 0, len(head)+len(m.Body)), head...), m.Body...) // one copy, not two
	if err := s.writeFileAtomic(path, full, 0o600); err != nil {
		return fmt.Errorf("store large message: %w", err)
	}
	sum := sha256.Sum256(full)
	m.LargeSHA256 = hex.EncodeToString(sum[:])
	m.LargeFile, m.LargeSize = path, int64(len(m.Body))
	m.Body = strings.TrimRight(firstLines(m.Body, 800), "\n") + "\n" + largeNote(m.LargeSize, path) + "\n"
	return nil
}

// largeNote is the line that ends the summary of a large message, naming
// the file with its full text, so that any mail reader shows where it is.
func largeNote(size int64, path string) string {
	return fmt.Sprintf("[Large message: %d bytes. Full text: %s]", size, path)
}

// Text returns the body without its trailing newlines and, for a large
// message, without the note naming its file: the text for a view that
// shows LargeFile and LargeSize beside it, so the path is not given twice.
func (m *Message) Text() string {
	body := strings.TrimRight(m.Body, "\n")
	if m.LargeFile != "" {
		body = strings.TrimRight(strings.TrimSuffix(body, largeNote(m.LargeSize, m.LargeFile)), "\n")
	}
	return body
}

// Broadcast sends one copy of body to every mailbox but the sender's and
// those of names that have been renamed (their new names get theirs).
func (s *Spool) Broadcast(from, body string, data json.RawMessage) (Receipt, error) {
	if c, err := s.Canonical(from); err == nil {
		from = c
	}
	names, err := s.Names()
	if err != nil {
		return Receipt{}, err
	}
	var to []string
	for _, n := range names {
		if n != from && s.Resolve(n) == n {
			to = append(to, n)
		}
	}
	remote := len(s.Fleet().Hosts) > 0
	if len(to) == 0 && !remote {
		return Receipt{}, fmt.Errorf("%w: nobody to broadcast to yet (no other mailbox exists)", ErrNotFound)
	}
	if !remote {
		return s.Send(Draft{From: from, To: to, Body: body, Data: data})
	}
	return s.broadcastRemote(Draft{From: from, To: to, Body: body, Data: data})
}

// broadcastRemote sends d to its local recipients, if any, and queues one
// more copy for every other host.
func (s *Spool) broadcastRemote(d Draft) (Receipt, error) {
	local := d.To
	d.To = []string{"all"} // compose needs a recipient; the copy names none
	m, err := s.compose(d)
	if err != nil {
		return Receipt{}, err
	}
	m.To = local
	if m.Provenance, m.ProvenanceHost, err = s.establish(d); err != nil {
		return Receipt{}, err
	}
	if err := s.takeRate(m.From); err != nil {
		return Receipt{}, err
	}
	rc, data, err := s.prepare(m)
	if err != nil {
		return rc, err
	}
	if len(local) > 0 {
		if rc, err = s.deliverAll(m, rc, data); err != nil {
			return rc, err
		}
	}
	dl, err := s.queueRemote(EnvelopeAllHosts, m.ID, data)
	if err != nil && dl.Path == "" {
		return rc, fmt.Errorf("broadcast to other hosts: %w", err)
	}
	if err != nil {
		rc.Warnings = append(rc.Warnings, err.Error())
	}
	rc.Delivered = append(rc.Delivered, dl)
	return rc, nil
}

// Reply answers the message with the given id in from's mailbox, keeping
// its thread, and marks it replied.
func (s *Spool) Reply(from, id, body string, data json.RawMessage) (Receipt, error) {
	mb, err := s.Mailbox(from)
	if err != nil {
		return Receipt{}, err
	}
	orig, err := mb.Find(id)
	if err != nil {
		return Receipt{}, err
	}
	if orig.From == "" {
		return Receipt{}, fmt.Errorf("message %s has no known sender to reply to", id)
	}
	rc, err := s.Send(Draft{From: from, To: []string{s.ReplyAddress(orig)}, Body: body, Data: data, ReplyTo: orig})
	if err == nil {
		_ = mb.SetFlag(orig, FlagReplied) // the reply is sent; the flag is a courtesy
	}
	return rc, err
}

// Quarantine moves path into quarantine/ with a .why file giving the reason.
// It never deletes: if the move fails the file stays where it was.
func (s *Spool) Quarantine(path, why string) error {
	dst := s.path(dirQuarantine, fmt.Sprintf("%d.%s.%s", s.clock().Unix(), newID(), filepath.Base(path)))
	if err := s.writeFileAtomic(dst+".why", []byte(why+"\nfrom: "+path+"\n"), 0o600); err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	if err := s.fs.Rename(path, dst); err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	return s.fs.SyncDir(s.path(dirQuarantine))
}
