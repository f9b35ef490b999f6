package spool

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/claude-ipc/ipc/internal/inplace"
	"github.com/claude-ipc/ipc/internal/platform"
)

// Routing of outbox/ drop-ins, one of the leader's jobs (the others:
// forwards.go's moves, expire.go, clean.go). Every step is idempotent and
// safe to cut short at any instant: a message is always in at least one
// place, and a retry never delivers one twice.

// Routed says what RouteOutbox did with one file of outbox/new/.
type Routed struct {
	Name        string   `json:"name"`                  // the file's name in outbox/new/
	ID          string   `json:"id,omitempty"`          // the message id it was delivered under
	To          []string `json:"to,omitempty"`          // the mailboxes that received it, forwards followed
	LargeFile   string   `json:"large_file,omitempty"`  // where its body went when it was too large
	Quarantined string   `json:"quarantined,omitempty"` // why it could not be routed
}

// OutboxDir returns outbox/new/, the drop box the leader routes.
func (s *Spool) OutboxDir() string { return s.path(dirOutbox, "new") }

// Outbox returns the names of the files waiting in outbox/new/, in name
// order (for Maildir names, the order they were written).
func (s *Spool) Outbox() ([]string, error) {
	names, err := readNames(s.OutboxDir())
	if err != nil {
		return nil, fmt.Errorf("spool: list outbox: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// readNames lists dir, skipping dot files; a missing dir is empty.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	out := names[:0]
	for _, n := range names {
		if !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	return out, err
}

// RouteOutbox delivers the file outbox/new/NAME to every mailbox its To:
// header names (NAME@anyhost or a bare NAME, several allowed), following
// forwards, and then removes it. A body over Config.LargeThreshold that has
// no X-IPC-Large-File header is first moved to large/. A file that cannot be
// routed (no To:, an invalid name, not a regular file of ours, unparsable)
// is quarantined with the reason. A file already gone is not an error.
//
// Each recipient's copy has a name derived from the outbox file (its name,
// inode and modification time), so a router killed midway and run again
// finds the copies it already made and delivers none twice. A message for
// one mailbox is moved there by one atomic rename; for several it is
// hard-linked into each, and the outbox file is removed only once every
// copy is durable.
func (s *Spool) RouteOutbox(name string) (Routed, error) {
	r, err := s.route(name, true)
	if err != nil {
		err = fmt.Errorf("route outbox/new/%s: %w", name, err)
	}
	return r, err
}

// dropIn is an outbox file read for routing.
type dropIn struct {
	path  string
	raw   []byte
	fi    os.FileInfo
	ino   uint64
	nlink uint64
	// partial: raw is the first dropInHead bytes of a larger file, whose
	// body is streamed into large/ rather than read whole.
	partial bool
}

// dropInHead is how much of a drop-in is read before its headers say
// whether the rest may be streamed: a file larger than this, neither
// sealed nor signed (whose seal and signature cover the whole body) nor
// naming a large/ file already, has its body copied to large/ as it is
// read.
const dropInHead = 256 << 10

// route routes one outbox file; rewrite is false once it has been rewritten
// for a large body, so a second rewrite can never loop.
func (s *Spool) route(name string, rewrite bool) (Routed, error) {
	r := Routed{Name: name}
	if name == "" || strings.ContainsRune(name, '/') || strings.HasPrefix(name, ".") {
		return r, nil // not a drop-in: dot files are writers' scratch space
	}
	// outbox/new/ is held from the read to the delivery: a link swapped
	// in for it is never followed (dirs.go).
	out, err := s.holdOutbox()
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	defer out.close()
	d, why, err := s.readDropIn(out, name)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil // routed already (events repeat)
	}
	if err != nil {
		return r, err
	}
	if why != "" {
		return s.quarantineDropIn(r, out, name, why)
	}
	to, m, why := parseDropIn(d, name)
	if why != "" {
		return s.quarantineDropIn(r, out, name, why)
	}
	rewritten := false
	switch {
	case !rewrite || m.LargeFile != "":
	case d.partial: // its body is read now, and goes to large/ if it is large
		if rewritten, why, err = s.streamLarge(out, name, d, m, to); why != "" {
			return s.quarantineDropIn(r, out, name, why)
		}
		if err != nil {
			return r, err
		}
	case s.Config.LargeThreshold > 0 && len(m.Body) > s.Config.LargeThreshold:
		if err := s.rewriteLarge(d, m, to); err != nil {
			return r, err
		}
		rewritten = true
	}
	if rewritten {
		r, err := s.route(name, false)
		r.LargeFile = m.LargeFile
		return r, err
	}
	r.ID = dropInID(d, name, m)
	key := fmt.Sprintf("%d.M%06dI%xR%s.%s,S=%d", d.fi.ModTime().Unix(), d.fi.ModTime().Nanosecond()/1000,
		d.ino, r.ID, s.host, d.fi.Size())
	r.To, err = s.deliverDropIn(out, d, key, to)
	return r, err
}

// holdOutbox holds outbox/new/: outbox/, then new/ in it, neither a link.
func (s *Spool) holdOutbox() (dir, error) {
	top, err := s.openDir(s.path(dirOutbox))
	if err != nil {
		return nil, err
	}
	defer top.close()
	return top.sub("new")
}

// quarantineDropIn moves an unroutable file of the held outbox aside with
// the reason.
func (s *Spool) quarantineDropIn(r Routed, out dir, name, why string) (Routed, error) {
	err := s.quarantineIn(out, name, why)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.Quarantined = why
	return r, nil
}

// readDropIn opens the file name of the held outbox without following
// links or blocking on a FIFO and reads it. why is set when it must not be
// routed as mail.
func (s *Spool) readDropIn(out dir, name string) (d dropIn, why string, err error) {
	d.path = out.join(name)
	path := d.path
	f, err := out.open(name)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return d, "a symbolic link, not a message", nil
	case errors.Is(err, fs.ErrPermission):
		return d, fmt.Sprintf("unreadable: %v", err), nil
	case err != nil:
		return d, "", err
	}
	defer f.Close()
	if d.fi, err = f.Stat(); err != nil {
		return d, "", err
	}
	if why := unsafeFile(d.fi); why != "" {
		return d, why, nil
	}
	if inplace.CheckFile(f, d.fi, time.Now()) == inplace.Writing {
		return d, "", fmt.Errorf("%s: %w", path, ErrBusy)
	}
	if d.ino, d.nlink, err = platform.FileID(f); err != nil {
		return d, "", err
	}
	if d.raw, err = readDropInText(f, d.fi.Size()); err != nil {
		return d, fmt.Sprintf("unreadable: %v", err), nil
	}
	d.partial = int64(len(d.raw)) < d.fi.Size() && int64(len(d.raw)) == dropInHead
	// The writer should have fsynced before its rename into new/; a script
	// seldom does. Make the data durable before any mailbox points at it.
	if err := platform.SyncRead(f); err != nil {
		return d, "", fmt.Errorf("fsync: %w", err)
	}
	return d, "", nil
}

// readDropInText reads the drop-in f of the given size: whole, or only
// its first dropInHead bytes when it is larger and its headers allow its
// body to be streamed.
func readDropInText(f io.Reader, size int64) ([]byte, error) {
	if size <= dropInHead {
		return io.ReadAll(io.LimitReader(f, maxMessage))
	}
	head := make([]byte, dropInHead)
	n, err := io.ReadFull(f, head)
	if err != nil { // shorter than it was: what there is
		return head[:n], nil
	}
	if msg, err := mail.ReadMessage(bytes.NewReader(head)); err == nil &&
		msg.Header.Get(hdrSeal) == "" && msg.Header.Get(hdrSignature) == "" && msg.Header.Get(hdrLarge) == "" {
		return head, nil
	}
	rest, err := io.ReadAll(io.LimitReader(f, maxMessage-dropInHead))
	return append(head, rest...), err
}

// parseDropIn reads the recipients and the message of a drop-in; why says
// what makes it unroutable. The message of a partial drop-in has its
// headers only; its body is read when it is routed.
func parseDropIn(d dropIn, name string) (to []string, m *Message, why string) {
	msg, err := mail.ReadMessage(bytes.NewReader(d.raw))
	if err != nil {
		return nil, nil, "no mail headers: a drop-in needs a To: line naming NAME or NAME@host"
	}
	to, why = recipients(msg.Header.Get("To"))
	if why != "" {
		return nil, nil, why
	}
	if d.partial {
		m = &Message{ID: idFromKey(name), Date: d.fi.ModTime(), Provenance: ProvDropIn, parsed: true}
		if m.ID == "" {
			m.ID = name
		}
		m.readHeader(msg.Header)
		return to, m, ""
	}
	m, err = ParseMessage(bytes.NewReader(d.raw), name, d.fi.ModTime())
	if err != nil {
		return nil, nil, fmt.Sprintf("cannot be read as a message: %v", err)
	}
	return to, m, ""
}

// recipients returns the names in a To: header, which may hold full
// addresses ("Bob <bob@host>"), NAME@host or bare names, comma-separated.
func recipients(v string) (names []string, why string) {
	var raw []string
	if list, err := mail.ParseAddressList(v); err == nil {
		for _, a := range list {
			raw = append(raw, localPart(a.Address))
		}
	} else {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if a, err := mail.ParseAddress(part); err == nil {
				part = a.Address
			}
			if part = strings.Trim(part, "<> "); part != "" {
				raw = append(raw, localPart(part))
			}
		}
	}
	if len(raw) == 0 {
		return nil, "no recipient: a drop-in needs a To: line naming NAME or NAME@host"
	}
	for _, n := range raw {
		if err := ValidName(n); err != nil {
			return nil, fmt.Sprintf("recipient: %v", err)
		}
	}
	return raw, ""
}

// dropInID returns the id a drop-in is delivered under: its Message-ID when
// that is one of ours (12 hex digits), else a digest of the file's identity,
// the same on every attempt.
func dropInID(d dropIn, name string, m *Message) string {
	if len(m.ID) == 12 && isHex(m.ID) {
		return m.ID
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", name, d.ino, d.fi.ModTime().UnixNano()))
	return hex.EncodeToString(sum[:6])
}

// rewriteLarge stores m's body in large/ and replaces the outbox file by
// the shortened message, atomically: first written in outbox/tmp/, then
// renamed over the original. A crash leaves the original or the rewrite.
func (s *Spool) rewriteLarge(d dropIn, m *Message, to []string) error {
	signed := s.Config.Secret != "" && m.Verify(s.Config.Secret)
	s.settleProvenance(m) // a drop-in stays one; a sealed message keeps its word
	sealed := m.Provenance != ProvDropIn
	m.To = to
	if len(m.ID) != 12 || !isHex(m.ID) {
		m.ID = dropInID(d, filepath.Base(d.path), m)
	}
	if err := s.storeLarge(m, nil); err != nil {
		return err
	}
	return s.replaceDropIn(d, m, sealed, signed)
}

// streamLarge is rewriteLarge for a partial drop-in (neither sealed nor
// signed): it reads the file again, its body decoded as it goes to
// large/, and rewrites the file when the body is large after all (large).
// why is set when the body cannot be read as a message's text; nothing is
// then left in large/.
func (s *Spool) streamLarge(out dir, name string, d dropIn, m *Message, to []string) (large bool, why string, err error) {
	f, err := out.open(name)
	if err != nil {
		return false, "", err
	}
	defer f.Close()
	if ino, _, err := platform.FileID(f); err != nil || ino != d.ino {
		return false, "", fmt.Errorf("%s changed while it was routed: %w", d.path, ErrBusy)
	}
	msg, err := mail.ReadMessage(bufio.NewReaderSize(f, pieceSize))
	if err != nil {
		return false, fmt.Sprintf("cannot be read as a message: %v", err), nil
	}
	text, err := bodyText(textproto.MIMEHeader(msg.Header), msg.Body, 0)
	if err != nil {
		return false, fmt.Sprintf("cannot be read as a message: %v", err), nil
	}
	body := &watchedReader{r: noFinalNewline{bufio.NewReaderSize(text, pieceSize)}}
	head, rest, err := s.Config.readHead(body, len(m.Data)+len(m.Subject), false)
	if body.err != nil {
		return false, fmt.Sprintf("cannot be read as a message: %v", body.err), nil
	}
	if err != nil {
		return false, "", err
	}
	if m.Body = head; m.Subject == "" {
		m.Subject = Subject(head)
	}
	if rest == nil && len(head) <= s.Config.LargeThreshold {
		return false, "", nil
	}
	s.settleProvenance(m)
	m.To = to
	if len(m.ID) != 12 || !isHex(m.ID) {
		m.ID = dropInID(d, name, m)
	}
	if err := s.storeLarge(m, rest); err != nil {
		if body.err != nil {
			return false, fmt.Sprintf("cannot be read as a message: %v", body.err), nil
		}
		return false, "", err
	}
	return true, "", s.replaceDropIn(d, m, false, false)
}

// watchedReader reads r and keeps the error that ended the reading.
type watchedReader struct {
	r   io.Reader
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		w.err = err
	}
	return n, err
}

// replaceDropIn replaces the outbox file of d by m, shortened for its
// large body, sealed again if it was sealed and signed again if it was
// signed.
func (s *Spool) replaceDropIn(d dropIn, m *Message, sealed, signed bool) error {
	m.seal, m.parsed = "", false
	if sealed {
		if err := s.seal(m); err != nil {
			s.dropLarge(m)
			return err
		}
	}
	if signed { // re-sign only what was genuine before
		m.Signature = m.sign(s.Config.Secret)
	}
	tmp := s.path(dirOutbox, "tmp", filepath.Base(d.path)+".large")
	if err := s.writeFileAtomic(tmp, m.Format(s.host), 0o600); err != nil {
		s.dropLarge(m)
		return fmt.Errorf("rewrite large message: %w", err)
	}
	if err := s.fs.Rename(tmp, d.path); err != nil {
		_ = s.fs.Remove(tmp)
		s.dropLarge(m)
		return fmt.Errorf("rewrite large message: %w", err)
	}
	return s.fs.SyncDir(s.OutboxDir())
}

// deliverDropIn puts the drop-in into each recipient's new/ under key and
// then removes it from the outbox. It returns the mailboxes reached.
func (s *Spool) deliverDropIn(out dir, d dropIn, key string, to []string) ([]string, error) {
	var boxes []*Mailbox
	seen := map[string]bool{}
	for _, n := range to {
		dst := s.Resolve(n)
		if seen[dst] {
			continue
		}
		seen[dst] = true
		mb, release, _, err := s.ensureHeld(dst)
		if err != nil {
			return nil, err
		}
		defer release()
		boxes = append(boxes, mb)
	}
	file := filepath.Base(d.path)
	names := make([]string, len(boxes))
	for i, mb := range boxes {
		names[i] = mb.Name
	}
	// A file with other links may have been half delivered by a router that
	// died (or held back by a full mailbox): only then is it worth looking
	// for copies already there, read or not.
	retry := d.nlink > 1
	if len(boxes) == 1 && !retry {
		if err := boxes[0].checkQuota(); err != nil {
			return nil, err // deferred: the drop-in waits in the outbox
		}
		return names, s.moveInto(out, file, boxes[0], key)
	}
	var full []error // mailboxes at their unread limit: the drop-in stays for them
	for _, mb := range boxes {
		if retry {
			has, err := mb.hasKey(key)
			if err != nil {
				return nil, err
			}
			if has {
				continue
			}
		}
		if err := mb.checkQuota(); err != nil {
			full = append(full, err)
			continue
		}
		if err := s.linkInto(out, file, mb, key, false); err != nil {
			return nil, err
		}
	}
	for _, mb := range boxes {
		if err := mb.sub("new").sync(); err != nil {
			return nil, fmt.Errorf("deliver to %s: fsync new/: %w", mb.Name, err)
		}
	}
	if len(full) > 0 {
		// The copies made are linked to the drop-in, so the next attempt
		// knows them (nlink > 1) and delivers only what is missing.
		return nil, errors.Join(full...)
	}
	if err := out.remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("remove routed file: %w", err)
	}
	return names, out.sync()
}

// moveInto renames file of the held outbox out into the held mb's new/ as
// key: the whole delivery in one atomic step.
func (s *Spool) moveInto(out dir, file string, mb *Mailbox, key string) error {
	if err := out.rename(file, mb.sub("new"), key); err != nil {
		return fmt.Errorf("deliver to %s: %w", mb.Name, err)
	}
	if err := mb.sub("new").sync(); err != nil {
		return fmt.Errorf("deliver to %s: fsync new/: %w", mb.Name, err)
	}
	return out.sync()
}

// linkInto hard-links file of the held outbox out into the held mb's new/
// as key unless the copy is already there (new/, or cur/ when retry says
// an earlier attempt may have run).
func (s *Spool) linkInto(out dir, file string, mb *Mailbox, key string, retry bool) error {
	if retry {
		has, err := mb.hasKey(key)
		if err != nil {
			return err
		}
		if has {
			return nil
		}
	}
	err := out.link(file, mb.sub("new"), key)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("deliver to %s: %w", mb.Name, err)
	}
	return nil
}

// hasKey reports whether the message named key is in new/ or cur/ (where
// its name carries ":2,FLAGS" or "!2,FLAGS").
func (mb *Mailbox) hasKey(key string) (bool, error) {
	mb, release, err := mb.hold()
	if err != nil {
		return false, err
	}
	defer release()
	if d := mb.sub("new"); d != nil {
		if _, err := d.lstat(key); err == nil {
			return true, nil
		}
	}
	found, err := mb.hasName("cur", func(n string) bool {
		return n == key || (strings.HasPrefix(n, key) && infoIndex(n) == len(key))
	})
	if err != nil {
		return false, fmt.Errorf("look for %s in %s: %w", key, mb.Name, err)
	}
	return found, nil
}
