package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
)

// Benchmarks of what a big mailbox costs. Each reports its figure as a
// ratio to the bare operation it cannot avoid, measured in the same run:
// a listing of the directory's names (readdir), plus a rename where a
// message is claimed. Sizes come from IPC_BENCH_SIZES (comma-separated
// counts of unread messages; default 1000,100000); a million takes a few
// minutes to set up and some 4 GB of disk:
//
//	IPC_BENCH_SIZES=1000,100000,1000000 go test -run '^$' -bench 'BigBox' -benchtime 20x ./spool

// benchSizes returns the mailbox sizes the big-mailbox benchmarks run at.
func benchSizes(b *testing.B) []int {
	v := os.Getenv("IPC_BENCH_SIZES")
	if v == "" {
		return []int{1_000, 100_000}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("IPC_BENCH_SIZES: %q is not a count", f)
		}
		out = append(out, n)
	}
	return out
}

// fillUnread puts n small messages of ours into mb's new/, oldest first by
// name, written directly (no fsync: setting up is not what is measured).
// Their times lie a day back, so none counts as being written.
func fillUnread(b *testing.B, s *Spool, mb *Mailbox, n int) {
	b.Helper()
	if err := s.mkdir(mb.Dir); err != nil {
		b.Fatal(err)
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(mb.Dir, sub), 0o700); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now().Add(-24 * time.Hour)
	old := start.Add(-time.Hour)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Millisecond)
		id := fmt.Sprintf("%012x", i)
		m := &Message{ID: id, From: "alice", To: []string{mb.Name}, Date: at, Body: "build finished: all green\n"}
		data := m.Format(s.host)
		name := fmt.Sprintf("%d.M%06dP1Q%dR%s.%s,S=%d", at.Unix(), at.Nanosecond()/1000, i, id, s.host, len(data))
		path := filepath.Join(mb.NewDir(), name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.Chtimes(path, old, old); err != nil {
			b.Fatal(err)
		}
	}
}

// bigBox opens a spool whose mailbox bob holds n unread messages, with
// no unread limit (a limit would refuse nothing here).
func bigBox(b *testing.B, n int) (*Spool, *Mailbox) {
	b.Helper()
	cfg := DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	s, err := Open(filepath.Join(b.TempDir(), "spool"), WithConfig(cfg))
	if err != nil {
		b.Fatal(err)
	}
	mb, err := s.Mailbox("bob")
	if err != nil {
		b.Fatal(err)
	}
	fillUnread(b, s, mb, n)
	return s, mb
}

// bareReaddir lists dir's names, the floor of anything that must look at
// every entry.
func bareReaddir(b *testing.B, dir string) int {
	f, err := os.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		b.Fatal(err)
	}
	return len(names)
}

// BenchmarkBigBoxCheckLimit1 measures a check that claims the oldest
// unread message (ipc check --limit 1) of a mailbox holding N, against a
// bare listing of new/ plus the rename that claims one file, in the same
// run. The message claimed is put back between iterations.
func BenchmarkBigBoxCheckLimit1(b *testing.B) {
	for _, n := range benchSizes(b) {
		s, mb := bigBox(b, n)
		_ = s
		b.Run(fmt.Sprintf("unread=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var tBare, tCheck time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if got := bareReaddir(b, mb.NewDir()); got != n {
					b.Fatalf("new/ holds %d, want %d", got, n)
				}
				probe := filepath.Join(mb.Dir, "tmp", "probe")
				if err := os.WriteFile(probe, nil, 0o600); err != nil {
					b.Fatal(err)
				}
				if err := os.Rename(probe, filepath.Join(mb.Dir, "tmp", "probe2")); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				msgs, err := mb.Check(CheckOptions{Limit: 1})
				t2 := time.Now()
				if err != nil || len(msgs) != 1 {
					b.Fatalf("check: %v, %d messages", err, len(msgs))
				}
				if msgs[0].ID != "000000000000" {
					b.Fatalf("check gave %s, not the oldest", msgs[0].ID)
				}
				tBare += t1.Sub(t0)
				tCheck += t2.Sub(t1)
				b.StopTimer()
				if err := mb.Unclaim(msgs); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			report(b, "check", tCheck, tBare)
		})
	}
}

// report adds the per-op times of what is measured and of the bare
// operation, and their ratio (1.0: as cheap as the bare operation).
func report(b *testing.B, what string, t, bare time.Duration) {
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(t.Nanoseconds())/float64(b.N), what+"-ns/op")
	b.ReportMetric(float64(t)/float64(bare), what+"/bare")
}

// BenchmarkBigBoxCatchUp measures what register and an MCP session's
// catch-up read of a mailbox holding N unread: the count (Unread) and the
// oldest 51 (Oldest, as the MCP server's default backlog of 50 asks),
// against a bare listing of new/ in the same run. B/op shows what a
// listing costs in names; nothing else grows with N.
func BenchmarkBigBoxCatchUp(b *testing.B) {
	for _, n := range benchSizes(b) {
		_, mb := bigBox(b, n)
		b.Run(fmt.Sprintf("unread=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var tBare, tCatch time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if got := bareReaddir(b, mb.NewDir()); got != n {
					b.Fatalf("new/ holds %d, want %d", got, n)
				}
				t1 := time.Now()
				count, err := mb.Unread()
				if err != nil || count != n {
					b.Fatalf("unread: %d, %v", count, err)
				}
				msgs, total, err := mb.Oldest(51, nil)
				t2 := time.Now()
				if err != nil || total != n || len(msgs) != min(51, n) || msgs[0].ID != "000000000000" {
					b.Fatalf("oldest: %d of %d, %v", len(msgs), total, err)
				}
				tBare += t1.Sub(t0)
				tCatch += t2.Sub(t1)
			}
			report(b, "catchup", tCatch, tBare)
		})
	}
}

// BenchmarkBigBoxQuotaSend measures a durable send into a mailbox holding
// N unread under an unread limit above N (so the quota is checked at each
// send and refuses nothing), against the bare write+fsync+rename+fsync of
// the same bytes in the same run: the quota must cost about nothing
// however full the mailbox is.
func BenchmarkBigBoxQuotaSend(b *testing.B) {
	for _, n := range benchSizes(b) {
		s, _ := bigBox(b, n)
		cfg := s.Config
		cfg.MaxUnread = 2*n + 1_000_000
		s.Config = cfg
		bare := filepath.Join(b.TempDir(), "bare")
		for _, d := range []string{"tmp", "new"} {
			os.MkdirAll(filepath.Join(bare, d), 0o700)
		}
		d := Draft{From: "alice", To: []string{"bob"}, Body: "build finished: all green\n"}
		data := (&Message{ID: "0123456789ab", From: "alice", To: []string{"bob"}, Date: time.Now(), Body: d.Body}).Format(s.host)
		b.Run(fmt.Sprintf("unread=%d", n), func(b *testing.B) {
			var tBare, tSend time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := bareop.Deliver(bare, fmt.Sprint(i), data); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := s.Send(d); err != nil {
					b.Fatal(err)
				}
				tBare += t1.Sub(t0)
				tSend += time.Since(t1)
			}
			report(b, "send", tSend, tBare)
		})
	}
}

// BenchmarkBigBoxList measures List (ipc list) over a spool of 1,000
// mailboxes, each with one unread message, against a bare listing of
// mail/ in the same run.
func BenchmarkBigBoxList(b *testing.B) {
	s, _ := bigBox(b, 1)
	for i := range 999 {
		mb, err := s.Mailbox(fmt.Sprintf("agent%03d", i))
		if err != nil {
			b.Fatal(err)
		}
		fillUnread(b, s, mb, 1)
	}
	// As in a spool in use: cur/ unchanged for a while, so each mailbox's
	// unseen index is written once and then trusted.
	time.Sleep(racyWindow)
	if _, err := s.List(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var tBare, tList time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if got := bareReaddir(b, s.MailDir()); got != 1000 {
			b.Fatalf("mail/ holds %d, want 1000", got)
		}
		t1 := time.Now()
		infos, err := s.List()
		t2 := time.Now()
		if err != nil || len(infos) != 1000 {
			b.Fatalf("list: %d names, %v", len(infos), err)
		}
		tBare += t1.Sub(t0)
		tList += t2.Sub(t1)
	}
	report(b, "list", tList, tBare)
}
