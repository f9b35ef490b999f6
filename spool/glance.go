package spool

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"sort"
	"strings"
	"time"
)

// Summary is the headers of one unread message, never its body: what a
// notice of waiting mail shows.
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
// max of them, for notices that must be ready in a few milliseconds however
// much mail the mailbox holds: it lists new/ and the unread files of cur/
// (from the index of unseen mail, never by listing cur/), takes
// arrival times from the Maildir names (a stat only for names in another
// form) and reads no body — except, when a shared secret is set, the few
// it shows, whose signatures it checks (forged ones are left out and not
// counted). Nothing is claimed, moved or written.
func (mb *Mailbox) Glance(max int, since time.Time) (Glance, error) {
	held, release, err := mb.hold()
	if err != nil {
		return Glance{}, fmt.Errorf("glance at %s: %w", mb.Name, err)
	}
	defer release()
	mb = held
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
	sum := Summary{ID: idFromKey(key), Arrived: at, Name: e.name, Provenance: ProvDropIn}
	if sum.ID == "" {
		sum.ID = key
	}
	d := mb.sub(e.dir)
	if d == nil {
		return sum, false
	}
	f, err := d.open(e.name)
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
