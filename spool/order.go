package spool

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// Mail is shown in the order it arrived, and a file's name records when
// that was (secs.M<usec>… in the Maildir convention, kept when a reader
// moves it to cur/). So choosing the oldest few of a mailbox sorts names
// and reads only the messages chosen: a check for one message of a
// million reads one, not a million. A name that records no time (a file
// some program put there under its own rules) arrived when the file was
// last modified, which costs a stat, never a read.

// arrival is an entry and when it arrived.
type arrival struct {
	at time.Time
	e  entry
}

// inArrivalOrder returns ents oldest first: by the time in their names,
// then by name, so the order is the same for every reader.
func (mb *Mailbox) inArrivalOrder(ents []entry) []entry {
	as := make([]arrival, len(ents))
	for i, e := range ents {
		as[i] = arrival{at: mb.arrived(e), e: e}
	}
	slices.SortFunc(as, func(a, b arrival) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.e.name, b.e.name)
	})
	out := ents[:0]
	for _, a := range as {
		out = append(out, a.e)
	}
	return out
}

// arrived returns when e arrived: the time its name records, else its
// modification time (zero when it is gone: it sorts first and reading it
// finds it gone).
func (mb *Mailbox) arrived(e entry) time.Time {
	if t, ok := timeFromKey(e.key()); ok {
		return t
	}
	fi, err := os.Lstat(mb.path(e))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// readInOrder reads ents in order and hands each message to take, until
// take returns false or ents run out. Files claimed meanwhile or still
// being written are passed over; files that are not mail of ours are
// quarantined and their errors appended to bad.
func (mb *Mailbox) readInOrder(ents []entry, bad *[]error, take func(*Message) bool) {
	for _, e := range ents {
		m, err := mb.read(e)
		switch {
		case err == nil:
			if !take(m) {
				return
			}
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotReady): // claimed meanwhile, or still being written
		default:
			*bad = append(*bad, err)
		}
	}
}

// sortByArrival sorts messages read from the mailbox oldest first, as
// inArrivalOrder sorts their entries; a message whose name records no
// time goes by its Date (for a file without headers, its modification
// time).
func sortByArrival(ms []*Message) {
	at := func(m *Message) time.Time {
		if t, ok := timeFromKey(entryAt(m.Path).key()); ok {
			return t
		}
		return m.Date
	}
	slices.SortStableFunc(ms, func(a, b *Message) int {
		if c := at(a).Compare(at(b)); c != 0 {
			return c
		}
		return strings.Compare(entryAt(a.Path).key(), entryAt(b.Path).key())
	})
}
