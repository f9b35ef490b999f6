package spool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// Draft is a message to send.
type Draft struct {
	From    string          // sender's name; "" for an unknown sender
	To      []string        // recipients' names (forwards are followed)
	Subject string          // "" takes the first line of Body
	Body    string          // the text
	Data    json.RawMessage // optional JSON object
	ReplyTo *Message        // the message answered, for threads

	// Text, when not nil, is read to its end for the text in place of
	// Body. A text longer than Config.LargeThreshold goes from it into its
	// large/ file piece by piece, counted against MaxMessage and hashed on
	// its way, so a send holds its first bytes, not the whole text. A
	// failure reading it (its error is returned, wrapped) delivers nothing
	// and leaves no file behind.
	Text io.Reader

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
// happened. It checks every name, the text and the sender's rate before
// delivering anything; a refused message leaves no trace (a large body's
// file, written first, is removed again).
func (s *Spool) Send(d Draft) (Receipt, error) {
	m, rest, err := s.compose(d)
	if err != nil {
		return Receipt{}, err
	}
	if m.Provenance, m.ProvenanceHost, err = s.establish(d); err != nil {
		return Receipt{}, err
	}
	rc, data, err := s.prepare(m, rest)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.takeRate(m.From); err != nil {
		s.dropLarge(m)
		return Receipt{}, err
	}
	return s.deliverAll(m, rc, data)
}

// compose checks a draft and turns it into a message, not yet written.
// For a draft with a Text, the message's body is the text's head and rest
// the stream of what follows (nil when the head is all of it).
func (s *Spool) compose(d Draft) (_ *Message, rest *stream, err error) {
	if d.From != "" {
		if d.From, err = s.Canonical(d.From); err != nil {
			return nil, nil, fmt.Errorf("sender: %w", err)
		}
	}
	if len(d.To) == 0 {
		return nil, nil, fmt.Errorf("%w: no recipient given", ErrBadName)
	}
	to := make([]string, len(d.To))
	for i, addr := range d.To {
		if to[i], _, err = s.localAddress(addr); err != nil {
			return nil, nil, fmt.Errorf("recipient: %w", err)
		}
	}
	if d.Text != nil {
		if d.Body, rest, err = s.Config.readHead(d.Text, len(d.Data)+len(d.Subject), len(d.Data) == 0); err != nil {
			return nil, nil, err
		}
	}
	m, err := composeText(d, to, rest != nil)
	if err != nil {
		return nil, nil, err
	}
	m.ID, m.Date = newID(), s.clock()
	return m, rest, nil
}

// composeText checks the text and data of d and makes the message for
// the recipients to; d.Body is the whole text or, when more follows, its
// head.
func composeText(d Draft, to []string, more bool) (*Message, error) {
	if n := len(d.Body) + len(d.Data) + len(d.Subject); n > MaxMessage {
		return nil, fmt.Errorf("%w: %d bytes is over the limit of %d MiB; save it to a file and send its path", ErrTooLarge, n, MaxMessage>>20)
	}
	if strings.TrimSpace(d.Body) == "" && len(d.Data) == 0 && !more {
		return nil, fmt.Errorf("%w: give some text (or data)", ErrEmpty)
	}
	if len(d.Data) > 0 {
		if err := CheckData(d.Data); err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
	}
	m := &Message{From: d.From, To: to, Body: d.Body, Data: bytes.TrimSpace(d.Data)}
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

// prepare moves a large body (m.Body, then rest if not nil) to large/,
// signs m and formats it. On failure no large/ file is left.
func (s *Spool) prepare(m *Message, rest *stream) (Receipt, []byte, error) {
	rc := Receipt{ID: m.ID}
	if rest != nil || (len(m.Body) > s.Config.LargeThreshold && s.Config.LargeThreshold > 0) {
		if err := s.storeLarge(m, rest); err != nil {
			return rc, nil, err
		}
		rc.LargeFile = m.LargeFile
	}
	if err := s.seal(m); err != nil {
		s.dropLarge(m)
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
	if len(rc.Delivered) == 0 && len(errs) > 0 {
		s.dropLarge(m) // nothing names it
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
	mb, release, _, err := s.ensureHeld(dl.Mailbox)
	if err != nil {
		return dl, err
	}
	defer release()
	dl.Queued = !mb.Registered()
	if err := mb.checkQuota(); err != nil {
		return dl, err
	}
	dl.Path, err = s.deliverHeld(mb.held, mb.Dir, id, data)
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
	return s.BroadcastDraft(Draft{From: from, Body: body, Data: data})
}

// BroadcastDraft is Broadcast of d's sender, subject, text (streamed when
// d.Text is set, as Send does) and data; d.To is the broadcast's to fill.
func (s *Spool) BroadcastDraft(d Draft) (Receipt, error) {
	from := d.From
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
	d.From, d.To = from, to
	if !remote {
		return s.Send(d)
	}
	return s.broadcastRemote(d)
}

// broadcastRemote sends d to its local recipients, if any, and queues one
// more copy for every other host.
func (s *Spool) broadcastRemote(d Draft) (Receipt, error) {
	local := d.To
	d.To = []string{"all"} // compose needs a recipient; the copy names none
	m, rest, err := s.compose(d)
	if err != nil {
		return Receipt{}, err
	}
	m.To = local
	if m.Provenance, m.ProvenanceHost, err = s.establish(d); err != nil {
		return Receipt{}, err
	}
	rc, data, err := s.prepare(m, rest)
	if err != nil {
		return rc, err
	}
	if err := s.takeRate(m.From); err != nil {
		s.dropLarge(m)
		return Receipt{}, err
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
	return s.ReplyDraft(id, Draft{From: from, Body: body, Data: data})
}

// ReplyDraft is Reply of d's sender, subject, text (streamed when d.Text
// is set, as Send does) and data; its recipient and thread are the
// message's.
func (s *Spool) ReplyDraft(id string, d Draft) (Receipt, error) {
	from := d.From
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
	d.To, d.ReplyTo = []string{s.ReplyAddress(orig)}, orig
	rc, err := s.Send(d)
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
