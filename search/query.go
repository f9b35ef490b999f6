package search

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/claude-ipc/ipc/spool"
)

// Syntax is the query language, for --help, the MCP tool and the page.
const Syntax = `A query is terms separated by spaces; a message matches when it matches
every term.
  WORD  "a phrase"    in the subject or body, any case, at the start of a word
  from:NAME           sent by NAME
  to:NAME             in NAME's mailbox (sent or forwarded to NAME)
  after:DATE          sent at or after DATE
  before:DATE         sent before DATE
  date:DATE           sent on that day (or date:DATE..DATE, either end open)
  thread:ID           the message ID and every answer to it, however deep
  id:ID               the message ID (or an id prefix of 4+ characters)
  is:unread, is:read  not yet seen (no S flag), or seen
DATE is 2026-12-01, 2026-12-01T15:04, an RFC 3339 time, or an age:
30m, 2h, 7d (that long ago). Times without a zone are local.
Results come newest first.`

// ErrBadQuery reports a query that does not parse; the message says which
// term and why.
var ErrBadQuery = errors.New("bad query")

// Query is a parsed search: every field set must match.
type Query struct {
	Words  []string  // lower-case words and phrases, each at the start of a word of the subject or body
	From   []string  // sender is one of these (lower case)
	To     []string  // mailbox is one of these (lower case)
	After  time.Time // sent at or after; zero: no bound
	Before time.Time // sent before; zero: no bound
	Thread string    // the message and its answers
	ID     string    // the message (or an id prefix)
	Unread *bool     // nil: either; true: unread only; false: read only
}

// Parse reads a query in the syntax Syntax describes. now anchors ages
// ("2h") and dates without a zone are read in loc.
func Parse(s string, now time.Time, loc *time.Location) (Query, error) {
	var q Query
	terms, err := split(s)
	if err != nil {
		return q, err
	}
	for _, t := range terms {
		if err := q.add(t, now, loc); err != nil {
			return q, err
		}
	}
	if !q.After.IsZero() && !q.Before.IsZero() && !q.After.Before(q.Before) {
		return q, fmt.Errorf("%w: the date range is empty (after %s, before %s)", ErrBadQuery,
			q.After.Format(time.RFC3339), q.Before.Format(time.RFC3339))
	}
	return q, nil
}

// term is one word of a query: an optional "key:" and a value, quoted
// values keeping their spaces.
type term struct {
	key, value string
	quoted     bool
}

// split cuts s into terms at spaces outside double quotes.
func split(s string) ([]term, error) {
	var out []term
	var cur strings.Builder
	var t term
	inQuote, any := false, false
	flush := func() {
		if any {
			t.value = cur.String()
			out = append(out, t)
		}
		cur.Reset()
		t, any = term{}, false
	}
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, t.quoted, any = !inQuote, true, true
		case unicode.IsSpace(r) && !inQuote:
			flush()
		case r == ':' && !inQuote && !t.quoted && t.key == "" && isKey(cur.String()):
			t.key = strings.ToLower(cur.String())
			cur.Reset()
			any = true
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%w: a double quote is not closed", ErrBadQuery)
	}
	flush()
	return out, nil
}

var keys = map[string]bool{"from": true, "to": true, "after": true, "before": true,
	"date": true, "thread": true, "id": true, "is": true}

func isKey(s string) bool { return keys[strings.ToLower(s)] }

// add puts one term into q.
func (q *Query) add(t term, now time.Time, loc *time.Location) error {
	v := strings.TrimSpace(t.value)
	if v == "" {
		if t.key == "" {
			return nil // "" matches everything
		}
		return fmt.Errorf("%w: %s: needs a value", ErrBadQuery, t.key)
	}
	var err error
	switch t.key {
	case "":
		q.Words = append(q.Words, strings.ToLower(v))
	case "from", "to":
		if err := spool.ValidName(v); err != nil {
			return fmt.Errorf("%w: %s:%s: %v", ErrBadQuery, t.key, v, err)
		}
		if t.key == "from" {
			q.From = append(q.From, strings.ToLower(v))
		} else {
			q.To = append(q.To, strings.ToLower(v))
		}
	case "after":
		var a time.Time
		if a, _, err = parseDate(v, now, loc); err == nil && a.After(q.After) {
			q.After = a
		}
	case "before":
		var b time.Time
		if b, _, err = parseDate(v, now, loc); err == nil && (q.Before.IsZero() || b.Before(q.Before)) {
			q.Before = b
		}
	case "date":
		err = q.addRange(v, now, loc)
	case "thread", "id":
		v = strings.Trim(v, "<>")
		if i := strings.IndexByte(v, '@'); i >= 0 && len(v[:i]) == 12 {
			v = v[:i] // ours: <id@host>
		}
		if t.key == "thread" {
			q.Thread = v
		} else if len(v) < 4 {
			return fmt.Errorf("%w: id:%s: give at least 4 characters of the id", ErrBadQuery, v)
		} else {
			q.ID = v
		}
	case "is":
		var unread bool
		switch strings.ToLower(v) {
		case "unread", "new":
			unread = true
		case "read", "seen":
		default:
			return fmt.Errorf("%w: is:%s: use is:unread or is:read", ErrBadQuery, v)
		}
		q.Unread = &unread
	}
	if err != nil {
		return fmt.Errorf("%w: %s:%s: %v", ErrBadQuery, t.key, v, err)
	}
	return nil
}

// addRange reads date:DAY or date:A..B into After and Before.
func (q *Query) addRange(v string, now time.Time, loc *time.Location) error {
	from, to, isRange := strings.Cut(v, "..")
	if !isRange {
		start, end, err := parseDate(v, now, loc)
		if err != nil {
			return err
		}
		q.After, q.Before = start, end
		return nil
	}
	if from != "" {
		start, _, err := parseDate(from, now, loc)
		if err != nil {
			return err
		}
		q.After = start
	}
	if to != "" {
		_, end, err := parseDate(to, now, loc)
		if err != nil {
			return err
		}
		q.Before = end
	}
	return nil
}

// parseDate reads a DATE and returns the start of the period it names and
// its end: a day for 2026-12-01, a minute for 2026-12-01T15:04, an
// instant for an RFC 3339 time or an age.
func parseDate(v string, now time.Time, loc *time.Location) (start, end time.Time, err error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, t.Add(time.Second), nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", v, loc); err == nil {
		return t, t.Add(time.Minute), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, t.AddDate(0, 0, 1), nil
	}
	if d, ok := parseAge(v); ok {
		t := now.Add(-d)
		return t, t, nil
	}
	return start, end, errors.New("want a date (2026-12-01, 2026-12-01T15:04, RFC 3339) or an age (30m, 2h, 7d)")
}

// parseAge reads 30m, 2h, 7d, 2w (and Go durations such as 1h30m).
func parseAge(v string) (time.Duration, bool) {
	if len(v) < 2 {
		return 0, false
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[v[len(v)-1]]
	if unit != 0 {
		n, err := strconv.Atoi(v[:len(v)-1])
		if err != nil || n < 0 {
			return 0, false
		}
		return time.Duration(n) * unit, true
	}
	d, err := time.ParseDuration(v)
	return d, err == nil && d >= 0
}

// IsEmpty reports whether q matches every message.
func (q Query) IsEmpty() bool {
	return len(q.Words) == 0 && len(q.From) == 0 && len(q.To) == 0 && q.After.IsZero() &&
		q.Before.IsZero() && q.Thread == "" && q.ID == "" && q.Unread == nil
}

// byContent reports whether q looks inside messages (words, senders,
// threads), where an index saves reading every file.
func (q Query) byContent() bool { return len(q.Words) > 0 || len(q.From) > 0 || q.Thread != "" }

// matchEntry reports whether an entry may match, from its name alone.
func (q Query) matchEntry(e spool.Entry) bool {
	if len(q.To) > 0 && !contains(q.To, strings.ToLower(e.Mailbox)) {
		return false
	}
	if q.Unread != nil && e.Unread() != *q.Unread {
		return false
	}
	if q.ID != "" {
		if id := e.ID(); id != "" && !strings.HasPrefix(id, q.ID) {
			return false
		}
	}
	return true
}

// Match reports whether message m, found in mailbox, matches q. Unread
// state is known from the file name only: see matchEntry.
func (q Query) Match(mailbox string, m *spool.Message) bool {
	switch {
	case len(q.To) > 0 && !contains(q.To, strings.ToLower(mailbox)):
		return false
	case len(q.From) > 0 && !contains(q.From, strings.ToLower(m.From)):
		return false
	case !q.After.IsZero() && m.Date.Before(q.After):
		return false
	case !q.Before.IsZero() && !m.Date.Before(q.Before):
		return false
	case q.ID != "" && m.ID != q.ID && !(len(q.ID) >= 4 && strings.HasPrefix(m.ID, q.ID)):
		return false
	case q.Thread != "" && !inThread(m, q.Thread):
		return false
	}
	if len(q.Words) > 0 {
		text := strings.ToLower(m.Subject + "\n" + m.Body)
		for _, w := range q.Words {
			if !hasWordPrefix(text, w) {
				return false
			}
		}
	}
	return true
}

// mayMatch looks at a message file's bytes before they are parsed: it is
// false only when the message cannot match q's words, so most files of a
// search by words are never parsed. A file whose text may be encoded
// (quoted-printable, base64, RFC 2047 words) may always match; otherwise
// its decoded text is its bytes, and each word (each part of a phrase, as
// headers fold) must occur in them, in any case.
func (q Query) mayMatch(raw []byte) bool {
	if len(q.Words) == 0 {
		return true
	}
	lower := bytes.ToLower(raw)
	for _, enc := range encodedMarks {
		if bytes.Contains(lower, enc) {
			return true
		}
	}
	for _, w := range q.Words {
		for _, part := range strings.Fields(w) {
			if !bytes.Contains(lower, []byte(part)) {
				return false
			}
		}
	}
	return true
}

// encodedMarks say a message's text may not be its bytes.
var encodedMarks = [][]byte{[]byte("quoted-printable"), []byte("base64"), []byte("=?")}

// inThread reports whether m is the message id or answers it.
func inThread(m *spool.Message, id string) bool {
	return m.ID == id || m.InReplyTo == id || contains(m.References, id)
}

// hasWordPrefix reports whether w occurs in text at the start of a word.
func hasWordPrefix(text, w string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || !isWordByte(text[at-1]) {
			return true
		}
		i = at + 1
	}
}

// isWordByte reports whether b continues a word: letters, digits and the
// bytes of multi-byte runes.
func isWordByte(b byte) bool {
	return b >= 0x80 || b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
