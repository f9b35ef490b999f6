package spool

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one mail. On disk it is an RFC 5322 message with MIME headers
// for UTF-8 and X-IPC-* headers for what only ipc uses, so any mail reader
// shows it.
type Message struct {
	ID         string          `json:"id"`                    // 12 hex digits for ours; the file's key otherwise
	From       string          `json:"from"`                  // sender's name; "" when unknown
	To         []string        `json:"to"`                    // recipients' names
	Date       time.Time       `json:"date"`                  // when it was sent
	Subject    string          `json:"subject"`               // first line of the body unless set
	Body       string          `json:"body"`                  // the text (a summary for large messages)
	Data       json.RawMessage `json:"data,omitempty"`        // the JSON object that travels with it
	InReplyTo  string          `json:"in_reply_to,omitempty"` // id of the message answered
	References []string        `json:"references,omitempty"`  // ids of the thread, oldest first
	LargeFile  string          `json:"large_file,omitempty"`  // where the full text of a large message is
	LargeSize  int64           `json:"large_size,omitempty"`  // its size in bytes
	// LargeSHA256 is the hex SHA-256 of the large/ file, signed with the
	// rest so an edit of the full text is caught.
	LargeSHA256 string `json:"large_sha256,omitempty"`
	Signature   string `json:"-"`                   // HMAC-SHA256, hex, when a secret is set
	FromHost    string `json:"from_host,omitempty"` // the host part of the From address

	// Provenance says how the sender was established; ProvenanceHost names
	// the host a bridged message came from. Read from a mailbox, they are
	// what the header claims only when the spool's seal verifies, else
	// ProvDropIn.
	Provenance     Provenance `json:"provenance"`
	ProvenanceHost string     `json:"provenance_host,omitempty"`

	seal      string     // X-IPC-Seal: the spool's own MAC over the message and its provenance
	claim     Provenance // what the X-IPC-Provenance header of a parsed message says
	claimHost string
	parsed    bool // read from a file: claim, not Provenance, is what was written

	// Set when read from a mailbox.
	Path  string `json:"path,omitempty"`
	Flags Flags  `json:"flags,omitempty"`

	claimedFrom string // the path Check claimed it from, for Unclaim
}

// Thread returns the id of the first message of m's thread.
func (m *Message) Thread() string {
	if len(m.References) > 0 {
		return m.References[0]
	}
	if m.InReplyTo != "" {
		return m.InReplyTo
	}
	return m.ID
}

// Header names of ipc's own fields.
const (
	hdrData      = "X-IPC-Data"
	hdrLarge     = "X-IPC-Large-File"
	hdrLargeSize = "X-IPC-Large-Size"
	hdrLargeHash = "X-IPC-Large-SHA256"
	hdrSignature = "X-IPC-Signature"
)

// Format writes m as an RFC 5322 message with addresses NAME@host.
func (m *Message) Format(host string) []byte {
	var b bytes.Buffer
	addr := func(n string) string {
		if strings.Contains(n, "@") { // NAME@HOST on another host
			return n
		}
		return n + "@" + host
	}
	header(&b, "Date", m.Date.Format(time.RFC1123Z))
	from := unknownSender
	if m.From != "" {
		from = m.From
	}
	header(&b, "From", addr(from))
	to := make([]string, len(m.To))
	for i, n := range m.To {
		to[i] = addr(n)
	}
	header(&b, "To", strings.Join(to, ", "))
	header(&b, "Subject", encodeWord(m.Subject))
	header(&b, "Message-ID", "<"+m.ID+"@"+host+">")
	if m.InReplyTo != "" {
		header(&b, "In-Reply-To", msgID(m.InReplyTo, host))
	}
	if len(m.References) > 0 {
		refs := make([]string, len(m.References))
		for i, r := range m.References {
			refs[i] = msgID(r, host)
		}
		header(&b, "References", strings.Join(refs, " "))
	}
	if len(m.Data) > 0 {
		header(&b, hdrData, mime.BEncoding.Encode("utf-8", string(m.Data)))
	}
	if m.LargeFile != "" {
		header(&b, hdrLarge, encodeWord(m.LargeFile))
		header(&b, hdrLargeSize, strconv.FormatInt(m.LargeSize, 10))
		if m.LargeSHA256 != "" {
			header(&b, hdrLargeHash, m.LargeSHA256)
		}
	}
	if m.Provenance != "" {
		header(&b, hdrProvenance, provenanceHeader(m.Provenance, m.ProvenanceHost))
	}
	if m.seal != "" {
		header(&b, hdrSeal, m.seal)
	}
	if m.Signature != "" {
		header(&b, hdrSignature, m.Signature)
	}
	header(&b, "MIME-Version", "1.0")
	header(&b, "Content-Type", "text/plain; charset=utf-8")
	// The file's last line ends with a newline, as every mail tool
	// expects; ParseMessage takes that one off again, so a body reads
	// back exactly as it was given, with or without a newline of its own.
	body := m.Body + "\n"
	if needsQP(body) {
		header(&b, "Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\n")
		b.WriteString(encodeQP(body))
	} else {
		header(&b, "Content-Transfer-Encoding", "8bit")
		b.WriteString("\n")
		b.WriteString(body)
	}
	return b.Bytes()
}

// unknownSender is the local part written for mail from nobody known; the
// dot keeps it from ever being a name someone registers.
const unknownSender = "unknown.sender"

// msgID writes id as a msg-id: ours ("0123456789ab") get this host, ids
// that came from elsewhere keep theirs, so replies thread in any reader.
func msgID(id, host string) string {
	if strings.Contains(id, "@") {
		return "<" + id + ">"
	}
	return "<" + id + "@" + host + ">"
}

// header writes "Name: value", folding at spaces so no line passes 78
// characters where it can be helped.
func header(b *bytes.Buffer, name, value string) {
	line := name + ":"
	for _, word := range strings.Split(value, " ") {
		if len(line)+1+len(word) > 78 && len(line) > len(name)+1 {
			b.WriteString(line + "\n")
			line = ""
		}
		line += " " + word
	}
	b.WriteString(line + "\n")
}

// encodeWord encodes s as RFC 2047 words when it is not plain ASCII.
func encodeWord(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 || strings.HasPrefix(s[i:], "=?") {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// needsQP reports whether body has a line too long for 8bit transport, a
// bare carriage return or invalid UTF-8.
func needsQP(body string) bool {
	if !utf8.ValidString(body) || strings.Contains(body, "\r") {
		return true
	}
	for _, line := range strings.Split(body, "\n") {
		if len(line) > 998 {
			return true
		}
	}
	return false
}

// encodeQP quoted-printable encodes body line by line, keeping its line
// breaks as plain "\n" (Maildir files use LF) while any "\r" and bytes that
// are not UTF-8 are escaped, so decoding gives back exactly body.
func encodeQP(body string) string {
	var b strings.Builder
	lines := strings.Split(body, "\n")
	for i, line := range lines {
		var enc bytes.Buffer
		w := quotedprintable.NewWriter(&enc)
		w.Binary = true
		w.Write([]byte(line))
		w.Close()
		b.WriteString(strings.ReplaceAll(enc.String(), "=\r\n", "=\n"))
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Subject returns the first non-blank line of body, shortened to 60 runes.
// It allocates nothing for the lines it passes over.
func Subject(body string) string {
	for line := range strings.Lines(body) {
		if line = strings.TrimSpace(line); line != "" {
			return shorten(line, 60)
		}
	}
	return ""
}

// shorten cuts s to at most n runes, ending in "…" when it cut. It looks
// at no more of s than it keeps, so a 60 MB line costs no 240 MB of runes.
func shorten(s string, n int) string {
	cut, runes := 0, 0
	for i := range s {
		if runes == n-1 {
			cut = i
		}
		if runes == n {
			return strings.TrimSpace(s[:cut]) + "…"
		}
		runes++
	}
	return s
}

// ParseMessage reads a message from r. The body is the text without the
// newline that ends the file (Marshal adds one to every body). A file
// without headers (a script's plain text) is accepted: its body is the
// whole text but that final newline, its sender unknown,
// its date modTime. key is the file's Maildir key, used as the id of a
// message that has none.
func ParseMessage(r io.Reader, key string, modTime time.Time) (*Message, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read message %s: %w", key, err)
	}
	m := &Message{ID: idFromKey(key), Date: modTime, Provenance: ProvDropIn, parsed: true}
	if m.ID == "" {
		m.ID = key
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil || !looksLikeMail(msg.Header) {
		m.Body = strings.TrimSuffix(string(raw), "\n")
		m.Subject = Subject(m.Body)
		return m, nil
	}
	m.readHeader(msg.Header)
	body, err := decodeBody(msg.Header, msg.Body)
	if err != nil {
		return nil, fmt.Errorf("read message %s: %w", key, err)
	}
	m.Body = strings.TrimSuffix(body, "\n")
	if m.Subject == "" {
		m.Subject = Subject(body)
	}
	return m, nil
}

// looksLikeMail reports whether h has any header a mail must have, so that
// a text whose first line merely holds a colon ("Note: buy milk") is read as
// text, not as a header.
func looksLikeMail(h mail.Header) bool {
	for _, k := range []string{"From", "To", "Date", "Message-Id", "Subject"} {
		if _, ok := h[k]; ok {
			return true
		}
	}
	return false
}

var wordDecoder = mime.WordDecoder{}

func (m *Message) readHeader(h mail.Header) {
	dec := func(k string) string {
		v, err := wordDecoder.DecodeHeader(h.Get(k))
		if err != nil {
			return h.Get(k)
		}
		return v
	}
	if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		m.From = localPart(a.Address)
		if _, host, ok := strings.Cut(a.Address, "@"); ok {
			m.FromHost = host
		}
		if m.From == unknownSender {
			m.From = ""
		}
	}
	if list, err := mail.ParseAddressList(h.Get("To")); err == nil {
		for _, a := range list {
			m.To = append(m.To, localPart(a.Address))
		}
	}
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
	m.Subject = dec("Subject")
	if ids := msgIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.ID = ids[0]
	}
	if ids := msgIDs(h.Get("In-Reply-To")); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References = msgIDs(h.Get("References"))
	if d := dec(hdrData); d != "" && json.Valid([]byte(d)) {
		m.Data = json.RawMessage(d)
	}
	m.LargeFile = dec(hdrLarge)
	m.LargeSize, _ = strconv.ParseInt(h.Get(hdrLargeSize), 10, 64)
	m.LargeSHA256 = strings.TrimSpace(h.Get(hdrLargeHash))
	m.Signature = h.Get(hdrSignature)
	m.parsed, m.Provenance = true, ProvDropIn // until the spool's seal says otherwise
	if v := h.Get(hdrProvenance); v != "" {
		m.claim, m.claimHost = parseProvenance(v)
	}
	m.seal = strings.TrimSpace(h.Get(hdrSeal))
}

// localPart returns the part of an address before the '@'.
func localPart(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i]
	}
	return addr
}

// msgIDs returns the ids in the <id@host> tokens of v: ours (12 hex
// digits) without the host, others whole.
func msgIDs(v string) []string {
	var ids []string
	for _, f := range strings.Fields(v) {
		f = strings.Trim(f, "<>,")
		if f == "" {
			continue
		}
		if l := localPart(f); len(l) == 12 && isHex(l) {
			f = l
		}
		ids = append(ids, f)
	}
	return ids
}

// decodeBody returns the text of a message body: transfer encoding undone,
// and the first text part of a multipart message, however deeply nested.
func decodeBody(h mail.Header, r io.Reader) (string, error) {
	text, err := bodyText(textproto.MIMEHeader(h), r, 0)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(text)
	return string(b), err
}

// bodyText is decodeBody as a stream: the text of body r, decoded as it is
// read (a large drop-in's body goes to large/ that way).
func bodyText(h textproto.MIMEHeader, r io.Reader, depth int) (io.Reader, error) {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err == nil && strings.HasPrefix(mt, "multipart/") && depth < 8 {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return nil, fmt.Errorf("multipart message without a text part: %w", err)
			}
			pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if pt == "" || pt == "text/plain" || strings.HasPrefix(pt, "multipart/") {
				// multipart undoes quoted-printable itself
				return bodyText(p.Header, p, depth+1)
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		return quotedprintable.NewReader(r), nil
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r), nil
	}
	return r, nil
}

// noFinalNewline reads r but for the newline that ends it, if any: the
// newline ParseMessage takes off a file's text.
type noFinalNewline struct{ r *bufio.Reader }

func (t noFinalNewline) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 && p[n-1] == '\n' {
		if _, perr := t.r.Peek(1); errors.Is(perr, io.EOF) {
			n--
		}
	}
	return n, err
}

// sign computes m's HMAC-SHA256 over the fields a forger would change,
// the hash of its large/ file and its provenance among them, as "v2 HEX".
// Recipients count by name alone: NAME@HOST as sent is NAME where it is
// read, and the signature must verify on both hosts.
func (m *Message) sign(secret string) string {
	return "v2 " + m.mac([]byte(secret), true, m.Provenance, m.ProvenanceHost)
}

// mac is the HMAC of m with key and the provenance given; v2 adds the
// large body's hash to what the first signatures covered. A message
// written without a provenance (before it existed) has no line for it, so
// its old signature still verifies.
func (m *Message) mac(key []byte, v2 bool, prov Provenance, host string) string {
	mac := hmac.New(sha256.New, key)
	to := make([]string, len(m.To))
	for i, n := range m.To {
		to[i] = localPart(n)
	}
	fmt.Fprintf(mac, "%s\n%s\n%d\n%s\n%s\n%s\n%s\n%s\n%s\n%d\n", m.From, strings.Join(to, ","), m.Date.Unix(),
		m.ID, m.Subject, m.Data, m.InReplyTo, strings.Join(m.References, " "), m.LargeFile, m.LargeSize)
	if v2 {
		fmt.Fprintf(mac, "%s\n", m.LargeSHA256)
	}
	if prov != "" {
		fmt.Fprintf(mac, "provenance:%s\n", provenanceHeader(prov, host))
	}
	io.WriteString(mac, strings.TrimRight(m.Body, "\n"))
	return hex.EncodeToString(mac.Sum(nil))
}

// written returns the provenance m carries in its file: for a parsed
// message the header's claim, for one being sent its own.
func (m *Message) written() (Provenance, string) {
	if m.parsed {
		return m.claim, m.claimHost
	}
	return m.Provenance, m.ProvenanceHost
}

// Verify reports, in constant time, whether m carries a valid signature
// for secret; the signature covers the provenance header as written, so an
// edited header fails. Signatures made before large bodies were hashed
// ("HEX" without "v2 ") still verify when the message has no large/ file.
func (m *Message) Verify(secret string) bool {
	p, h := m.written()
	if sig, ok := strings.CutPrefix(m.Signature, "v2 "); ok {
		return hmac.Equal([]byte(m.mac([]byte(secret), true, p, h)), []byte(sig))
	}
	return m.LargeFile == "" && hmac.Equal([]byte(m.mac([]byte(secret), false, p, h)), []byte(m.Signature))
}

// firstLines returns the whole lines of s that fit in maxBytes (a
// shortened first line when none does), for summaries of large messages.
func firstLines(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	end := 0 // s[:end] is whole lines that fit
	for end < len(s) {
		i := strings.IndexByte(s[end:], '\n')
		if i < 0 || end+i+1 > maxBytes {
			break
		}
		end += i + 1
	}
	if end == 0 {
		return shorten(s[:min(len(s), maxBytes)], maxBytes/4)
	}
	return s[:end]
}
