package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

// Options are what a bridge shares with the rest of its process.
type Options struct {
	Log *slog.Logger // nil: discard
	// Follower is the process's one follower (the daemon's); nil makes one
	// for the bridge alone.
	Follower *follow.Follower
}

// Bridge connects one spool to a NATS JetStream server as one host.
type Bridge struct {
	sp  *spool.Spool
	cfg Config
	log *slog.Logger
	fol *follow.Follower

	nc   *nats.Conn
	js   jetstream.JetStream
	kv   jetstream.KeyValue
	obs  jetstream.ObjectStore
	cons []jetstream.Consumer // this host's mail, and broadcasts

	kick chan struct{} // something may wait in remote/new/

	mu     sync.Mutex
	status Status
}

// New checks cfg and returns a bridge for sp; Run connects it.
func New(sp *spool.Spool, cfg Config, opts Options) (*Bridge, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{sp: sp, cfg: cfg, log: log, fol: opts.Follower, kick: make(chan struct{}, 1)}
	b.status = Status{Host: cfg.Host, URL: cfg.RedactedURL()}
	return b, nil
}

// Host returns the host name this bridge publishes as.
func (b *Bridge) Host() string { return b.cfg.Host }

// Run carries mail until ctx is cancelled, then returns nil. An unreachable
// server is retried for ever (mail waits on disk meanwhile); credentials
// the server refuses and a stream or bucket with other settings end Run
// with an error wrapping ErrAuth or ErrSettings, since retrying cannot help.
// Each failure is recorded in the status file that ipc status reads.
func (b *Bridge) Run(ctx context.Context) error {
	b.mu.Lock()
	b.status.Running = true
	b.mu.Unlock()
	defer b.close()
	if err := b.connect(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	feed, err := b.watchQueue(ctx)
	if err != nil {
		return err
	}
	defer feed.Close()
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(func(ctx context.Context) { b.forward(ctx, feed.Events()) })
	run(b.sendLoop)
	for _, c := range b.cons {
		run(func(ctx context.Context) { b.receiveLoop(ctx, c) })
	}
	run(b.presenceLoop)
	wg.Wait()
	return nil
}

// watchQueue follows remote/new/ on the process's follower (or one of
// the bridge's own).
func (b *Bridge) watchQueue(ctx context.Context) (*follow.Feed, error) {
	if b.fol == nil {
		f, err := follow.New(ctx, b.sp, follow.Options{})
		if err != nil {
			return nil, fmt.Errorf("bridge: follow %s: %w", b.sp.RemoteDir(), err)
		}
		context.AfterFunc(ctx, func() { f.Close() })
		b.fol = f
	}
	feed := b.fol.Open()
	if err := feed.Watch(filepath.Join(b.sp.RemoteDir(), "new")); err != nil {
		feed.Close()
		return nil, fmt.Errorf("bridge: watch %s: %w", b.sp.RemoteDir(), err)
	}
	return feed, nil
}

// forward turns the feed's events into kicks of the send loop.
func (b *Bridge) forward(ctx context.Context, ev <-chan follow.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-ev:
			if !ok {
				return
			}
			b.nudge()
		}
	}
}

// nudge asks the send loop to look at remote/new/ again.
func (b *Bridge) nudge() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// connect dials until the server answers and sets up the stream, the
// buckets and this host's consumer.
func (b *Bridge) connect(ctx context.Context) error {
	if err := b.sp.WriteFleet(b.sp.Fleet()); err != nil { // creates remote/
		return err
	}
	for {
		err := b.dialAndSetUp(ctx)
		if err == nil {
			b.setError(nil)
			b.log.Info("bridge connected", "url", b.nc.ConnectedUrlRedacted(), "host", b.cfg.Host)
			return nil
		}
		b.setError(err)
		if !errors.Is(err, ErrUnreachable) {
			return err
		}
		b.log.Warn("bridge: server unreachable, retrying; outgoing mail waits in remote/", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(b.cfg.RetryEvery):
		}
	}
}

func (b *Bridge) dialAndSetUp(ctx context.Context) error {
	nc, err := b.cfg.dial(
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				err = errors.New("disconnected")
			}
			b.setError(fmt.Errorf("%w: %v", ErrUnreachable, err))
		}),
		nats.ReconnectHandler(func(*nats.Conn) { b.setError(nil); b.nudge() }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.log.Warn("bridge: server reports", "err", err)
			b.setError(classify("server", err))
		}),
	)
	if err != nil {
		return err
	}
	b.nc = nc
	if b.js, err = jetstream.New(nc); err != nil {
		return classify("jetstream", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := b.cfg.ensureStream(cctx, b.js); err != nil {
		return b.fail(err)
	}
	if b.kv, err = b.cfg.ensureKV(cctx, b.js); err != nil {
		return b.fail(err)
	}
	if b.obs, err = b.cfg.ensureObjects(cctx, b.js); err != nil {
		return b.fail(err)
	}
	// Two consumers, not one with two filters: servers before 2.10 (Debian
	// 12 ships 2.9) allow a consumer a single filter subject.
	b.cons = nil
	for _, c := range b.cfg.consumers() {
		cons, err := b.js.CreateOrUpdateConsumer(cctx, StreamName, c)
		if err != nil {
			return b.fail(classify("consumer "+c.Durable, err))
		}
		b.cons = append(b.cons, cons)
	}
	return nil
}

// fail closes a half set-up connection and returns err.
func (b *Bridge) fail(err error) error {
	b.nc.Close()
	b.nc = nil
	return err
}

func (b *Bridge) close() {
	if b.nc != nil {
		_ = b.nc.Drain()
	}
	b.mu.Lock()
	b.status.Running = false
	b.mu.Unlock()
	b.saveStatus()
}
