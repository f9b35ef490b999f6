package spool

import (
	"container/heap"
	"errors"
	"fmt"
	"io/fs"
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
	if h, release, err := mb.hold(); err == nil {
		mb = h
		defer release()
	}
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
	d := mb.sub(e.dir)
	if d == nil {
		return time.Time{}
	}
	st, err := d.lstat(e.name)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime
}

// readInOrder reads ents in order and hands each message to take, until
// take returns false or ents run out. Files claimed meanwhile or still
// being written are passed over; files that are not mail of ours are
// quarantined and their errors appended to bad.
func (mb *Mailbox) readInOrder(ents []entry, bad *[]error, take func(*Message) bool) {
	mb, release, err := mb.hold()
	if err != nil {
		*bad = append(*bad, err)
		return
	}
	defer release()
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

// listBatch is how many names a streaming listing holds at once.
const listBatch = 1024

// eachName calls fn with the name of every file in sub ("new" or "cur"),
// dot files left out, listing in batches: a directory of a million costs
// the names of one batch in memory, not a million. A missing directory
// has no names.
func (mb *Mailbox) eachName(sub string, fn func(name string)) error {
	return mb.namesUntil(sub, func(n string) bool { fn(n); return true })
}

// hasName reports whether a name in sub matches, listing as eachName does
// and stopping at the first that does.
func (mb *Mailbox) hasName(sub string, match func(name string) bool) (found bool, err error) {
	err = mb.namesUntil(sub, func(n string) bool { found = match(n); return !found })
	return found, err
}

// namesUntil is eachName's listing, stopping when fn returns false.
func (mb *Mailbox) namesUntil(sub string, fn func(name string) bool) error {
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	d := mb.sub(sub)
	if d == nil {
		return nil
	}
	err = d.names(func(n string) bool {
		return strings.HasPrefix(n, ".") || fn(n)
	})
	if err != nil {
		return fmt.Errorf("list %s/%s: %w", mb.Name, sub, err)
	}
	return nil
}

// eachUnread calls fn with every unread entry: the unseen files of cur/
// (from the index), then new/ streamed, a file in both (moved meanwhile)
// once.
func (mb *Mailbox) eachUnread(fn func(entry)) error {
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	listed, err := mb.unseenInCur()
	if err != nil {
		return err
	}
	inCur := make(map[string]bool, len(listed))
	for _, e := range listed {
		inCur[e.key()] = true
		fn(e)
	}
	return mb.eachName("new", func(n string) {
		if e := (entry{dir: "new", name: n}); !inCur[e.key()] {
			fn(e)
		}
	})
}

// oldestEntries returns the k oldest unread entries that skip does not
// report (nil: none), oldest first, and how many such entries there are in
// all. It holds k entries at a time, never the whole listing.
func (mb *Mailbox) oldestEntries(k int, skip func(entry) bool) (oldest []entry, total int, err error) {
	mb, release, err := mb.hold()
	if err != nil {
		return nil, 0, err
	}
	defer release()
	h := &newestFirst{}
	err = mb.eachUnread(func(e entry) {
		if skip != nil && skip(e) {
			return
		}
		total++
		if k == 0 {
			return
		}
		a := arrival{at: mb.arrived(e), e: e}
		if h.Len() < k {
			heap.Push(h, a)
		} else if h.Len() > 0 && before(a, (*h)[0]) {
			(*h)[0] = a
			heap.Fix(h, 0)
		}
	})
	if err != nil {
		return nil, 0, err
	}
	oldest = make([]entry, h.Len())
	for i := len(oldest) - 1; i >= 0; i-- {
		oldest[i] = heap.Pop(h).(arrival).e
	}
	return oldest, total, nil
}

// takeOldest reads the mailbox's unread messages oldest first and hands
// each to take until take returns false (or none is left); each pass
// holds and reads about want of them, so a mailbox of a million
// costs a listing of names and want reads. Files passed over (gone, still
// being written, not mail) make a next pass look further.
func (mb *Mailbox) takeOldest(want int, bad *[]error, take func(*Message) bool) (total int, err error) {
	return mb.takeOldestSkip(want, nil, bad, take)
}

// takeOldestSkip is takeOldest over the entries skip does not report; it
// returns how many of those its first listing found.
func (mb *Mailbox) takeOldestSkip(want int, skip func(entry) bool, bad *[]error, take func(*Message) bool) (total int, err error) {
	mb, release, err := mb.hold()
	if err != nil {
		return 0, err
	}
	defer release()
	looked := map[string]bool{}
	pass := func(e entry) bool { return looked[e.key()] || (skip != nil && skip(e)) }
	k := max(want, 1)
	for first := true; ; first = false {
		ents, left, err := mb.oldestEntries(k, pass)
		if err != nil {
			return total, err
		}
		if first {
			total = left
		}
		done := false
		for _, e := range ents {
			looked[e.key()] = true
		}
		mb.readInOrder(ents, bad, func(m *Message) bool {
			done = !take(m)
			return !done
		})
		if done || left <= len(ents) {
			return total, nil
		}
		k *= 2
	}
}

// Oldest returns up to max of the mailbox's unread messages (new/ and
// cur/ without S), oldest first, read but neither claimed nor recorded as
// activity, leaving out those whose id skip reports (nil: none); and how
// many unread messages skip does not report in all. The id skip sees is
// the one the file's name carries (Entry.ID), else the name's key. It
// reads only the messages it returns and any it must pass over, and holds
// no more than about max names at once, whatever the mailbox holds.
func (mb *Mailbox) Oldest(max int, skip func(id string) bool) (msgs []*Message, unread int, err error) {
	mb, release, err := mb.hold()
	if err != nil {
		return nil, 0, err
	}
	defer release()
	var bad []error
	var skipE func(entry) bool
	if skip != nil {
		skipE = func(e entry) bool { return skip(Entry{Dir: e.dir, Name: e.name}.ID()) }
	}
	if max <= 0 {
		err := mb.eachUnread(func(e entry) {
			if skipE == nil || !skipE(e) {
				unread++
			}
		})
		return nil, unread, err
	}
	unread, err = mb.takeOldestSkip(max, skipE, &bad, func(m *Message) bool {
		if skip == nil || !skip(m.ID) {
			msgs = append(msgs, m)
		}
		return len(msgs) < max
	})
	return msgs, unread, errors.Join(append([]error{err}, bad...)...)
}

// newestFirst is a heap of arrivals whose root is the newest: the k oldest
// of a listing are kept by replacing the root with anything older.
type newestFirst []arrival

func (h newestFirst) Len() int           { return len(h) }
func (h newestFirst) Less(i, j int) bool { return before(h[j], h[i]) }
func (h newestFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *newestFirst) Push(x any)        { *h = append(*h, x.(arrival)) }
func (h *newestFirst) Pop() any {
	old := *h
	a := old[len(old)-1]
	*h = old[:len(old)-1]
	return a
}

// before orders arrivals as inArrivalOrder does.
func before(a, b arrival) bool {
	if c := a.at.Compare(b.at); c != 0 {
		return c < 0
	}
	return a.e.name < b.e.name
}

// eachOldest hands the unread messages to take oldest first, as
// takeOldest does with want of them, or all of them in one listing when
// want is 0 (every message will be read anyway).
func (mb *Mailbox) eachOldest(want int, bad *[]error, take func(*Message) bool) error {
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	if want > 0 {
		_, err := mb.takeOldest(want, bad, take)
		return err
	}
	ents, err := mb.unreadEntries()
	if err != nil {
		return err
	}
	mb.readInOrder(mb.inArrivalOrder(ents), bad, take)
	return nil
}
