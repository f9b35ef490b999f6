package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/internal/latency"
	"github.com/claude-ipc/ipc/spool"
)

// benchWorld is two hosts bridged through an embedded server, a follower
// on bob's mailbox at hostb, and a bare stream and consumer on the same
// server to compare with.
type benchWorld struct {
	a, b *host
	feed *follow.Feed
	js   jetstream.JetStream
	cons jetstream.Consumer
	body []byte
}

func newBenchWorld(b *testing.B) *benchWorld {
	ns := startServer(b, nil)
	w := &benchWorld{}
	w.a = newHost(b, ns.url(), "hosta", noLimits())
	w.b = newHost(b, ns.url(), "hostb", noLimits())
	w.a.cfg.PresenceEvery, w.b.cfg.PresenceEvery = time.Second, time.Second
	w.a.start()
	w.b.start()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	fol, err := follow.New(ctx, w.b.sp, follow.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fol.Close() })
	if w.feed, err = fol.Follow("bob"); err != nil {
		b.Fatal(err)
	}
	w.js = connectJS(b, ns.url())
	if _, err := w.js.CreateStream(ctx, jetstream.StreamConfig{Name: "BARE", Subjects: []string{"bare.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	if w.cons, err = w.js.CreateOrUpdateConsumer(ctx, "BARE", jetstream.ConsumerConfig{Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		b.Fatal(err)
	}
	m := spool.Message{ID: "0123456789ab", From: "alice", To: []string{"bob"}, Date: time.Now(), Subject: "ping", Body: "ping"}
	w.body = m.Format("hosta") // the bare payload is a message of the same size
	// Warm up: the first message sets up both sides.
	w.a.send("alice", "bob@hostb", "warm-up")
	w.arrivals(1)
	return w
}

// arrivals waits for n new messages in bob's mailbox and claims them.
func (w *benchWorld) arrivals(n int) {
	seen := map[string]bool{}
	for len(seen) < n {
		ev := <-w.feed.Events()
		if ev.Message != nil {
			seen[ev.Message.ID] = true
		}
	}
	mb, _ := w.b.sp.Mailbox("bob")
	if _, err := mb.Check(spool.CheckOptions{}); err != nil {
		panic(err)
	}
}

// bareRoundTrip publishes one message to the bare stream, waits for the
// acknowledgement, then fetches and acknowledges it.
func (w *benchWorld) bareRoundTrip(ctx context.Context, i int) error {
	if _, err := w.js.Publish(ctx, "bare.x", w.body, jetstream.WithMsgID(fmt.Sprint("l", i))); err != nil {
		return err
	}
	m, err := w.cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		return err
	}
	return m.Ack()
}

// BenchmarkCrossHostLatency times one message from 'send' on hosta to
// its arrival, claimed, in bob's mailbox on hostb (Maildir delivery, the
// remote/ queue, publish and ack, consumer, delivery and ack, follower),
// against a bare JetStream publish-with-ack, fetch and ack of a payload
// of the same size on the same server in the same run.
func BenchmarkCrossHostLatency(b *testing.B) {
	w := newBenchWorld(b)
	ctx := context.Background()
	var bridged, bare []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := w.bareRoundTrip(ctx, i); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
		start = time.Now()
		w.a.send("alice", "bob@hostb", "ping")
		w.arrivals(1)
		bridged = append(bridged, time.Since(start))
	}
	s, r := latency.Summarize(bridged), latency.Summarize(bare)
	s.Report(b, "bridge-")
	r.Report(b, "bare-")
	if r.P50 > 0 {
		b.ReportMetric(float64(s.P50)/float64(r.P50), "bridge/bare")
	}
}

// BenchmarkCrossHostThroughput sends b.N messages from hosta to hostb as
// fast as 'send' goes and times until the last is in bob's mailbox (and,
// apart, how long the local sends alone took, which bound it),
// against b.N bare JetStream publishes (acknowledged, pipelined) consumed
// and acknowledged on the same server in the same run.
func BenchmarkCrossHostThroughput(b *testing.B) {
	w := newBenchWorld(b)
	b.ResetTimer()
	start := time.Now()
	var futures []jetstream.PubAckFuture
	for i := 0; i < b.N; i++ {
		f, err := w.js.PublishAsync("bare.x", w.body, jetstream.WithMsgID(fmt.Sprint("t", i)))
		if err != nil {
			b.Fatal(err)
		}
		futures = append(futures, f)
	}
	for got := 0; got < b.N; {
		batch, err := w.cons.Fetch(min(b.N-got, 256), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		for m := range batch.Messages() {
			if err := m.Ack(); err != nil {
				b.Fatal(err)
			}
			got++
		}
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			b.Fatal(err)
		}
	}
	bare := time.Since(start)
	start = time.Now()
	done := make(chan struct{})
	go func() { w.arrivals(b.N); close(done) }()
	for i := 0; i < b.N; i++ {
		w.a.send("alice", "bob@hostb", fmt.Sprint("msg ", i))
	}
	sent := time.Since(start) // the local, durable sends alone
	<-done
	bridged := time.Since(start)
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(n/sent.Seconds(), "send-msgs/s")
	b.ReportMetric(n/bridged.Seconds(), "bridge-msgs/s")
	b.ReportMetric(n/bare.Seconds(), "bare-msgs/s")
	b.ReportMetric(bridged.Seconds()/bare.Seconds(), "bridge/bare")
	b.ReportMetric(bridged.Seconds()/sent.Seconds(), "bridge/send")
}
