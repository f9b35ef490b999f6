package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
)

// BenchmarkSend measures durable sends against the bare
// write+fsync+rename+fsync of the same bytes in the same run, and reports
// sends/s ÷ bare/s (1.0 would be as fast as the file system allows).
func BenchmarkSend(b *testing.B) {
	cfg := DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	s, err := Open(filepath.Join(b.TempDir(), "spool"), WithConfig(cfg))
	if err != nil {
		b.Fatal(err)
	}
	bare := filepath.Join(b.TempDir(), "bare")
	for _, d := range []string{"tmp", "new"} {
		os.MkdirAll(filepath.Join(bare, d), 0o700)
	}
	d := Draft{From: "alice", To: []string{"bob"}, Body: "build finished: all green\n"}
	data := (&Message{ID: "0123456789ab", From: "alice", To: []string{"bob"}, Date: time.Now(), Body: d.Body}).Format(s.host)
	b.ResetTimer()
	sendVsBare(b, bare, data, func() error { _, err := s.Send(d); return err })
}

// sendVsBare times send against a bare delivery of data into bare, turn
// about, b.N of each, and reports both and sends/s ÷ bare/s.
func sendVsBare(b *testing.B, bare string, data []byte, send func() error) {
	var tBare, tSend time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := bareop.Deliver(bare, fmt.Sprint(i), data); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := send(); err != nil {
			b.Fatal(err)
		}
		tBare += t1.Sub(t0)
		tSend += time.Since(t1)
	}
	b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(tSend.Nanoseconds())/float64(b.N), "send-ns/op")
	b.ReportMetric(float64(tBare)/float64(tSend), "send/bare-throughput")
}

// BenchmarkCheck measures reading and claiming one message against the
// bare durable claim of a file: read, rename into cur/, fsync cur/ and new/.
func BenchmarkCheck(b *testing.B) {
	cfg := DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	s, err := Open(filepath.Join(b.TempDir(), "spool"), WithConfig(cfg))
	if err != nil {
		b.Fatal(err)
	}
	mb, _ := s.Mailbox("bob")
	var tBare, tCheck time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "x"})
		if err != nil {
			b.Fatal(err)
		}
		rc2, _ := s.Send(Draft{From: "alice", To: []string{"carol"}, Body: "x"})
		b.StartTimer()
		t0 := time.Now()
		p := rc2.Delivered[0].Path
		if _, err := os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(p, filepath.Join(s.Root, "mail/carol/cur", filepath.Base(p)+":2,S")); err != nil {
			b.Fatal(err)
		}
		if err := OS.SyncDir(filepath.Join(s.Root, "mail/carol/cur")); err != nil {
			b.Fatal(err)
		}
		if err := OS.SyncDir(filepath.Join(s.Root, "mail/carol/new")); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		msgs, err := mb.Check(CheckOptions{})
		if err != nil || len(msgs) != 1 || msgs[0].ID != rc.ID {
			b.Fatalf("check: %v %d", err, len(msgs))
		}
		tBare += t1.Sub(t0)
		tCheck += time.Since(t1)
	}
	b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(tCheck.Nanoseconds())/float64(b.N), "check-ns/op")
	b.ReportMetric(float64(tBare)/float64(tCheck), "check/bare-throughput")
}

// BenchmarkSendFreshSpool measures a durable send by a spool opened for
// that one send, as each 'ipc send' process opens it, against the bare
// write+fsync+rename+fsync in the same run. A fresh process knows nothing
// of what earlier ones fsynced but the mailbox's durable record: with it
// a send costs the same two fsyncs as the bare delivery.
func BenchmarkSendFreshSpool(b *testing.B) {
	cfg := DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	root := filepath.Join(b.TempDir(), "spool")
	s, err := Open(root, WithConfig(cfg))
	if err != nil {
		b.Fatal(err)
	}
	bare := filepath.Join(b.TempDir(), "bare")
	for _, d := range []string{"tmp", "new"} {
		os.MkdirAll(filepath.Join(bare, d), 0o700)
	}
	d := Draft{From: "alice", To: []string{"bob"}, Body: "build finished: all green\n"}
	if _, err := s.Send(d); err != nil {
		b.Fatal(err)
	}
	data := (&Message{ID: "0123456789ab", From: "alice", To: []string{"bob"}, Date: time.Now(), Body: d.Body}).Format(s.host)
	b.ResetTimer()
	sendVsBare(b, bare, data, func() error {
		fresh, err := Open(root, WithConfig(cfg))
		if err != nil {
			return err
		}
		_, err = fresh.Send(d)
		return err
	})
}

// BenchmarkSendConcurrent measures 8 senders delivering at once into one
// mailbox, through one spool (their deliveries share fsyncs of new/: group
// commit) and through a spool each (as 8 processes would, sharing
// nothing), against the single bare writer of the same bytes in the same
// run, in alternating rounds of 64 messages. Reported: messages/s of each
// ÷ messages/s of the bare single writer.
func BenchmarkSendConcurrent(b *testing.B) {
	const senders, round = 8, 64
	cfg := DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	root := filepath.Join(b.TempDir(), "spool")
	shared, err := Open(root, WithConfig(cfg))
	if err != nil {
		b.Fatal(err)
	}
	own := make([]*Spool, senders)
	for i := range own {
		if own[i], err = Open(root, WithConfig(cfg)); err != nil {
			b.Fatal(err)
		}
	}
	bare := filepath.Join(b.TempDir(), "bare")
	for _, d := range []string{"tmp", "new"} {
		os.MkdirAll(filepath.Join(bare, d), 0o700)
	}
	d := Draft{From: "alice", To: []string{"bob"}, Body: "build finished: all green\n"}
	if _, err := shared.Send(d); err != nil {
		b.Fatal(err)
	}
	data := (&Message{ID: "0123456789ab", From: "alice", To: []string{"bob"}, Date: time.Now(), Body: d.Body}).Format(shared.host)
	concurrently := func(spoolOf func(int) *Spool) time.Duration {
		t0 := time.Now()
		var wg sync.WaitGroup
		for g := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range round / senders {
					if _, err := spoolOf(g).Send(d); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	var tBare, tShared, tOwn time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		for i := range round {
			if err := bareop.Deliver(bare, fmt.Sprint(n+i), data); err != nil {
				b.Fatal(err)
			}
		}
		n += round
		tBare += time.Since(t0)
		tShared += concurrently(func(int) *Spool { return shared })
		tOwn += concurrently(func(g int) *Spool { return own[g] })
	}
	b.ReportMetric(float64(tBare)/float64(tShared), "shared/bare-throughput")
	b.ReportMetric(float64(tBare)/float64(tOwn), "apart/bare-throughput")
}
