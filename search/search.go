package search

import (
	"context"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// Hit is one message a search found, in one mailbox: a message sent to
// several names is a hit in each of their mailboxes.
type Hit struct {
	Mailbox string         `json:"mailbox"`
	Unread  bool           `json:"unread"`
	Message *spool.Message `json:"message"`
}

// Options bound a search.
type Options struct {
	Limit  int // at most this many hits; 0: DefaultLimit
	Offset int // skip this many hits first (for paging)
}

// DefaultLimit is the number of hits a search returns unless told.
const DefaultLimit = 50

// Engine names the way a search was answered.
type Engine string

const (
	EngineScan    Engine = "scan"    // every candidate file read and matched
	EngineNotmuch Engine = "notmuch" // candidates from notmuch's index, each checked against the file
)

// Result is what a search found, newest first.
type Result struct {
	Hits   []Hit  `json:"hits"`
	More   bool   `json:"more"`   // more hits follow (ask again with a larger Offset)
	Engine Engine `json:"engine"` // how it was answered
}

// Searcher answers queries over one spool, from notmuch's index when it is
// installed and up to date, by scanning the spool otherwise. Both give the
// same hits: the index only proposes candidates, and every candidate is
// read from its file and matched as the scan matches it.
type Searcher struct {
	sp    *spool.Spool
	index *Index
}

// New returns a Searcher over sp, using sp's notmuch index when there is
// one (see Index).
func New(sp *spool.Spool) *Searcher { return &Searcher{sp: sp, index: NewIndex(sp)} }

// Search runs q and returns its hits, newest first. A file that vanishes
// while it is read (claimed, marked) is left out; a file that cannot be
// read as mail is quarantined by the spool and left out too.
func (s *Searcher) Search(ctx context.Context, q Query, opts Options) (Result, error) {
	if opts.Limit <= 0 {
		opts.Limit = DefaultLimit
	}
	if opts.Offset < 0 {
		opts.Offset = 0
	}
	if q.byContent() && s.index.Usable() {
		res, err := s.index.search(ctx, s.sp, q, opts)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		// A broken index must not break search: the scan answers instead.
	}
	return scan(ctx, s.sp, q, opts)
}

// Index returns the searcher's notmuch index.
func (s *Searcher) Index() *Index { return s.index }

// collector gathers matching hits in order, skipping the first Offset and
// stopping one past Limit, which says whether more follow.
type collector struct {
	opts    Options
	skipped int
	hits    []Hit
}

// add records a hit and reports whether the collector is full.
func (c *collector) add(h Hit) bool {
	if c.skipped < c.opts.Offset {
		c.skipped++
		return false
	}
	c.hits = append(c.hits, h)
	return c.full()
}

func (c *collector) full() bool { return len(c.hits) > c.opts.Limit }

func (c *collector) result(e Engine) Result {
	r := Result{Hits: c.hits, Engine: e}
	if len(r.Hits) > c.opts.Limit {
		r.Hits, r.More = r.Hits[:c.opts.Limit], true
	}
	if r.Hits == nil {
		r.Hits = []Hit{}
	}
	return r
}

// check reads the message of e and matches it against q. ok is false for
// a message that does not match or could not be read.
func check(sp *spool.Spool, q Query, e spool.Entry) (Hit, bool) {
	mb, err := sp.Mailbox(e.Mailbox)
	if err != nil {
		return Hit{}, false
	}
	m, err := mb.ReadIf(e, q.mayMatch)
	if err != nil || m == nil {
		return Hit{}, false // passed over unparsed, moved meanwhile, or quarantined as unsafe
	}
	if !q.Match(e.Mailbox, m) {
		return Hit{}, false
	}
	return Hit{Mailbox: e.Mailbox, Unread: e.Unread(), Message: m}, true
}

// arrival returns when an entry arrived, from its name, else from the
// file's modification time.
func arrival(sp *spool.Spool, e spool.Entry) time.Time {
	if t, ok := e.Arrived(); ok {
		return t
	}
	fi, err := statEntry(sp, e)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// newestFirst orders entries by arrival, newest first, then by name.
func newestFirst(a, b timedEntry) int {
	if c := b.at.Compare(a.at); c != 0 {
		return c
	}
	return strings.Compare(b.e.Name, a.e.Name)
}

type timedEntry struct {
	e  spool.Entry
	at time.Time
}
