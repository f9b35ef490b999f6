package leader

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/search"
	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// Options tune Run. The zero value is fine.
type Options struct {
	Logger       *slog.Logger  // where actions are logged; nil: discarded
	Poll         bool          // make the watcher poll instead of using inotify
	PollInterval time.Duration // the watcher's polling interval; 0: its default
	Retry        time.Duration // how often to try spool.lock, ±1/3 at random; default 150ms
	Housekeeping time.Duration // how often to sweep outbox, forwards, orphans and tmp/; default 30s

	// OnLead, if set, is called once this process has become the leader.
	OnLead func(spool.Holder)

	// Follower is the process's follower (one watcher per process), shared
	// with the front end the leader runs beside. nil: the leader makes one
	// of its own from Poll and PollInterval while it leads.
	Follower *follow.Follower

	// NoSearchIndex stops the leader from keeping notmuch's search index
	// of the spool up to date (it does when notmuch is installed).
	NoSearchIndex bool
}

// indexEvery is how often the leader looks whether the search index is
// behind the spool: a stat of each mailbox's new/ and cur/.
const indexEvery = time.Second

const (
	defaultRetry        = 150 * time.Millisecond
	defaultHousekeeping = 30 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Retry <= 0 {
		o.Retry = defaultRetry
	}
	if o.Housekeeping <= 0 {
		o.Housekeeping = defaultHousekeeping
	}
	return o
}

// Run waits until this process leads sp, then leads it until ctx is done.
// It returns nil when ctx ends (leading or not) and an error only when the
// spool cannot be locked or watched at all, or when spool.lock stops being
// the file it locked (an error matching spool.ErrLostLock). On return leadership has been
// released and no goroutine started by Run remains.
func Run(ctx context.Context, sp *spool.Spool, opts Options) error {
	opts = opts.withDefaults()
	l, err := acquire(ctx, sp, opts.Retry)
	if err != nil || l == nil {
		return err
	}
	defer l.Release()
	opts.Logger.Info("leading", "pid", l.Info.PID, "spool", sp.Root)
	if opts.OnLead != nil {
		opts.OnLead(l.Info)
	}
	if !opts.NoSearchIndex {
		ctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stop()
		wg.Go(func() {
			search.NewIndex(sp).KeepFresh(ctx, indexEvery, func(err error) {
				opts.Logger.Warn("search index", "err", err)
			})
		})
	}
	return lead(ctx, sp, opts, l)
}

// lockCheck is how often a leader makes sure spool.lock is still the file
// it holds (spool.Leadership.Check).
var lockCheck = time.Second

// acquire tries spool.lock until it holds it (returning it) or ctx ends
// (returning nil, nil).
func acquire(ctx context.Context, sp *spool.Spool, retry time.Duration) (*spool.Leadership, error) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case <-t.C:
		}
		l, ok, err := sp.TryLead()
		if err != nil {
			return nil, err
		}
		if ok {
			return l, nil
		}
		// Jitter keeps a crowd of contenders from trying in step.
		t.Reset(retry*2/3 + rand.N(retry*2/3+1))
	}
}

// leading is the state of a leader: its feed and the forwarded mailboxes
// it watches. Only Run's goroutine touches it.
type leading struct {
	ctx     context.Context // done: stop between two steps
	sp      *spool.Spool
	lock    *spool.Leadership
	lost    error // why this process no longer leads (leads), nil while it does
	log     *slog.Logger
	fd      *follow.Feed      // outbox/new/, forwards/ and the new/ of forwarded mailboxes
	watched map[string]string // new/ dir of a forwarded mailbox → its name
	busy    map[string]bool   // outbox files still being written, to route once complete
	retry   *time.Timer       // fires busyRetry after a file first turned out busy
	armed   bool              // retry is running

	// The unseen index: the feed also follows every mailbox (FollowAll:
	// the follower reports the names of files becoming unread, in new/ and
	// in cur/, and nothing for read mail) and the keeper writes the index
	// from what it reports in cur/. unseen is nil when the follower polls: listing a
	// huge cur/ every poll would cost more than the readers' own check of
	// the index, so they are left to it.
	unseen *spool.UnseenKeeper
	kept   map[string]bool // the mailboxes whose index has been built
}

// lead does a full pass, then routes what the watcher reports and sweeps
// on a ticker, until ctx is done.
func lead(ctx context.Context, sp *spool.Spool, opts Options, l *spool.Leadership) error {
	me := l.Info
	ld := &leading{ctx: ctx, sp: sp, lock: l, log: opts.Logger, watched: map[string]string{}, busy: map[string]bool{}}
	ld.sweep()
	fol := opts.Follower
	if fol == nil {
		f, err := follow.New(ctx, sp, follow.Options{Watcher: watcher.Options{Poll: opts.Poll, PollInterval: opts.PollInterval, Logger: opts.Logger}})
		if err != nil {
			return err
		}
		defer f.Close()
		fol = f
	}
	// The feed's mailboxes are for the unseen index, which lists each cur/
	// itself and needs names only: nothing is read for it, and a mailbox
	// of a million unread costs the leader nothing at start.
	ld.fd = fol.OpenWith(follow.FeedOptions{Arrivals: true, NamesOnly: true})
	defer ld.fd.Close()
	for _, dir := range []string{sp.OutboxDir(), sp.ForwardsDir()} {
		if err := ld.fd.Watch(dir); err != nil {
			if errors.Is(err, follow.ErrClosed) {
				return nil // the follower stopped with its context: stopping
			}
			return err
		}
	}
	ld.watchForwards()
	// The unseen index follows every cur/: cheap only where the system
	// reports each file. A directory notifier would list each cur/ (a
	// million read messages, say) on every read, and polling every
	// interval; readers list cur/ themselves there.
	if fol.Mode() == watcher.ModeEvents {
		if err := ld.fd.FollowAll(); err != nil {
			if errors.Is(err, follow.ErrClosed) {
				return nil
			}
			return err
		}
		ld.unseen, ld.kept = sp.KeepUnseen(me), map[string]bool{}
		ld.watchCur()
	}
	tick := time.NewTicker(opts.Housekeeping)
	defer tick.Stop()
	held := time.NewTicker(lockCheck)
	defer held.Stop()
	ld.retry = time.NewTimer(busyRetry)
	ld.retry.Stop()
	defer ld.retry.Stop()
	for {
		// Armed once when a file turns out busy and left running while
		// other events arrive, so the retry comes busyRetry later however
		// busy the spool is.
		if len(ld.busy) > 0 && !ld.armed {
			ld.retry.Reset(busyRetry)
			ld.armed = true
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-ld.fd.Events():
			if !ok {
				return nil // the follower stopped: ctx is done
			}
			ld.handleBatch(ev)
		case <-ld.retry.C:
			ld.armed = false
			for name := range ld.busy {
				delete(ld.busy, name)
				ld.route(name)
			}
		case <-held.C:
			ld.leads()
		case <-tick.C:
			ld.sweep()
			ld.watchForwards()
			ld.watchCur()
		}
		if ld.lost != nil {
			return ld.lost
		}
	}
}

// leads reports whether spool.lock is still the file this leader locked
// (an fstat and an lstat). When the spool was deleted or the file
// replaced, a newcomer locks the new file and leads: so the check comes
// before every route and forward, and every lockCheck when idle, and once
// it fails the leader does nothing more and stops.
func (ld *leading) leads() bool {
	if ld.lost == nil {
		if ld.lost = ld.lock.Check(); ld.lost != nil {
			ld.log.Error("stopped leading", "err", ld.lost)
		}
	}
	return ld.lost == nil
}

// busyRetry is how soon a drop-in that was still being written is looked
// at again (whether it is complete is internal/inplace's rule).
const busyRetry = 200 * time.Millisecond

// maxBatch bounds how many events are handled before forwards are applied.
const maxBatch = 256

// handleBatch handles ev and the events already queued behind it (up to
// maxBatch), then applies forwards once for the whole batch.
func (ld *leading) handleBatch(ev follow.Event) {
	forwarded, forwardsChanged, listed := false, false, false
	for i := 0; ; i++ {
		switch {
		case ev.Name != "": // mail (FollowAll): only cur/ matters, to the index
			if ld.unseen != nil && filepath.Base(ev.Dir) == "cur" {
				ld.unseen.Note(ev.Name, ev.File)
				listed = true
			}
		case ev.Dir == filepath.Clean(ld.sp.OutboxDir()):
			ld.route(ev.File)
		case ev.Dir == filepath.Clean(ld.sp.ForwardsDir()):
			forwardsChanged = true
		default:
			forwarded = true
		}
		if i == maxBatch || ld.ctx.Err() != nil {
			break
		}
		next, ok := ld.pending()
		if !ok {
			break
		}
		ev = next
	}
	if forwardsChanged {
		ld.watchForwards()
	}
	if forwarded {
		ld.applyForwards()
	}
	if listed {
		if err := ld.unseen.Flush(); err != nil {
			ld.log.Warn("write unseen index", "err", err)
		}
	}
}

// pending returns the next event if one is already waiting.
func (ld *leading) pending() (follow.Event, bool) {
	select {
	case ev, ok := <-ld.fd.Events():
		return ev, ok
	default:
		return follow.Event{}, false
	}
}

// sweep routes everything in the outbox (what failed before is retried
// here) and does the periodic housekeeping.
func (ld *leading) sweep() {
	if !ld.leads() {
		return
	}
	names, err := ld.sp.Outbox()
	if err != nil {
		ld.log.Warn("list outbox", "err", err)
	}
	for _, n := range names {
		if ld.ctx.Err() != nil {
			return // stopping: the next leader's sweep does the rest
		}
		ld.route(n) // one still being written comes back busy, for a retry
	}
	ld.applyForwards()
	if n, err := ld.sp.ExpireOrphans(); n > 0 || err != nil {
		ld.logCount("expired", n, err)
	}
	if n, err := ld.sp.CleanTmp(); n > 0 || err != nil {
		ld.logCount("cleaned tmp", n, err)
	}
	if n, err := awareness.New(ld.sp).Forget(); n > 0 || err != nil {
		ld.logCount("forgot week-old hook marks", n, err)
	}
}

func (ld *leading) route(name string) {
	if !ld.leads() {
		return
	}
	r, err := ld.sp.RouteOutbox(name)
	switch {
	case errors.Is(err, spool.ErrBusy):
		ld.busy[name] = true
	case err != nil:
		ld.log.Warn("route failed; will retry", "file", name, "err", err)
	case r.Quarantined != "":
		ld.log.Warn("quarantined", "file", name, "why", r.Quarantined)
	case len(r.To) > 0:
		args := []any{"file", name, "id", r.ID, "to", r.To}
		if r.LargeFile != "" {
			args = append(args, "large_file", r.LargeFile)
		}
		ld.log.Info("routed", args...)
	}
}

func (ld *leading) applyForwards() {
	if !ld.leads() {
		return
	}
	if n, err := ld.sp.ApplyForwards(); n > 0 || err != nil {
		ld.logCount("forwarded", n, err)
	}
}

func (ld *leading) logCount(msg string, n int, err error) {
	if err != nil {
		ld.log.Warn(msg, "messages", n, "err", err)
		return
	}
	ld.log.Info(msg, "messages", n)
}

// watchForwards watches the new/ of every mailbox with a live forward, and
// stops watching those whose forward is gone.
func (ld *leading) watchForwards() {
	fws, err := ld.sp.Forwards()
	if err != nil {
		ld.log.Warn("list forwards", "err", err)
		return
	}
	live := map[string]string{}
	now := ld.sp.Now()
	for _, f := range fws {
		if mb, err := ld.sp.Mailbox(f.From); err == nil && now.Before(f.Until) {
			live[mb.NewDir()] = f.From
		}
	}
	for dir, name := range live {
		if _, ok := ld.watched[dir]; ok {
			continue
		}
		if err := ld.fd.Watch(dir); err != nil { // a mailbox not there yet is watched once it is
			if !errors.Is(err, follow.ErrClosed) {
				ld.log.Debug("watch forwarded mailbox", "name", name, "err", err)
			}
			continue
		}
		ld.watched[dir] = name
	}
	for dir := range ld.watched {
		if _, ok := live[dir]; !ok {
			ld.fd.Unwatch(dir)
			delete(ld.watched, dir)
		}
	}
}

// watchCur builds the unseen index of every mailbox not yet kept. The
// feed follows every mailbox already (watch first, then list), and mail it
// reports in cur/ meanwhile is noted after the listing.
func (ld *leading) watchCur() {
	if ld.unseen == nil {
		return
	}
	names, err := ld.sp.Names()
	if err != nil {
		ld.log.Warn("list mailboxes", "err", err)
		return
	}
	for _, name := range names {
		if ld.kept[name] || ld.ctx.Err() != nil {
			continue
		}
		if err := ld.unseen.Rebuild(name); err != nil {
			ld.log.Warn("build unseen index", "name", name, "err", err)
			continue
		}
		ld.kept[name] = true
	}
}
