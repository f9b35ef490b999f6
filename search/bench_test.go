package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// Benchmark sizes: 15,000 messages always; 1,000,000 with IPC_BENCH_1M=1
// (about 5 GB of disk for a minute or two, removed afterwards). notmuch is
// benchmarked at 15,000, and at 1,000,000 too with IPC_BENCH_NOTMUCH_1M=1
// (indexing a million files takes long).
func benchSizes() []int {
	sizes := []int{15000}
	if os.Getenv("IPC_BENCH_1M") == "1" {
		sizes = append(sizes, 1000000)
	}
	return sizes
}

const benchMailboxes = 20

var benchWords = strings.Fields(`build test deploy staging review merge branch commit release
	green red failed passed flaky timeout retry cache docker image lint format vet race coverage
	schema migration index query latency memory profile trace metrics alert page incident
	rollback hotfix patch version tag changelog docs readme issue ticket sprint standup lunch`)

// benchFixture writes n messages into benchMailboxes mailboxes the way a
// delivery leaves them (Maildir names with time and id, RFC 5322 files
// from Message.Format), without fsync, spread over 30 days before now:
// every fourth message answers an earlier one, one in ten is unread, and
// one message holds the word "zanzibar". It returns the spool and the
// root of a long thread.
func benchFixture(b *testing.B, n int) (*spool.Spool, string) {
	cfg := spool.DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	sp, err := spool.Open(filepath.Join(b.TempDir(), "spool"), spool.WithConfig(cfg))
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, benchMailboxes)
	for i := range names {
		names[i] = fmt.Sprintf("agent%02d", i)
		for _, sub := range []string{"tmp", "new", "cur"} {
			if err := os.MkdirAll(filepath.Join(sp.MailDir(), names[i], sub), 0o700); err != nil {
				b.Fatal(err)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now().Add(-30 * 24 * time.Hour)
	step := 30 * 24 * time.Hour / time.Duration(n)
	var recent []*spool.Message
	root := ""
	var body strings.Builder
	for i := range n {
		body.Reset()
		for w := range 12 + r.IntN(20) {
			if w > 0 {
				body.WriteByte(' ')
			}
			body.WriteString(benchWords[r.IntN(len(benchWords))])
		}
		if i == n/2 {
			body.WriteString(" zanzibar")
		}
		from, to := names[r.IntN(len(names))], names[r.IntN(len(names))]
		m := &spool.Message{ID: fmt.Sprintf("%012x", i), From: from, To: []string{to},
			Date: start.Add(time.Duration(i) * step), Body: body.String()}
		m.Subject = spool.Subject(m.Body)
		if i%4 == 3 && len(recent) > 0 {
			orig := recent[r.IntN(len(recent))]
			if i < 4000 && root != "" { // one long thread early on
				orig = recent[0]
			}
			m.InReplyTo = orig.ID
			m.References = append(slices.Clone(orig.References), orig.ID)
			m.Subject = "Re: " + strings.TrimPrefix(orig.Subject, "Re: ")
		}
		if root == "" {
			root = m.ID
		}
		if len(recent) < 64 {
			recent = append(recent, m)
		} else {
			recent[r.IntN(64)] = m
		}
		data := m.Format(sp.Host())
		key := fmt.Sprintf("%d.M%06dP1Q%dR%s.%s,S=%d", m.Date.Unix(), m.Date.Nanosecond()/1000, i, m.ID, sp.Host(), len(data))
		path := filepath.Join(sp.MailDir(), to, "cur", key+":2,S")
		if i%10 == 0 {
			path = filepath.Join(sp.MailDir(), to, "new", key)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return sp, root
}

// bareList lists every mailbox's new/ and cur/: the floor a search that
// looks at every message cannot beat, and the figure queries are reported
// against (x_list).
func bareList(sp *spool.Spool) (int, error) {
	n := 0
	for i := range benchMailboxes {
		for _, sub := range []string{"new", "cur"} {
			f, err := os.Open(filepath.Join(sp.MailDir(), fmt.Sprintf("agent%02d", i), sub))
			if err != nil {
				return 0, err
			}
			names, err := f.Readdirnames(-1)
			f.Close()
			if err != nil {
				return 0, err
			}
			n += len(names)
		}
	}
	return n, nil
}

// BenchmarkSearch times queries at 15,000 (and 1,000,000) messages with
// each engine, reporting the median and 95th percentile in microseconds
// and the median as a multiple of listing every mailbox once (x_list) in
// the same run. Run it with a fixed count, e.g.
//
//	go test -run '^$' -bench Search -benchtime 20x ./search/
func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run("msgs="+strconv.Itoa(n), func(b *testing.B) {
			t0 := time.Now()
			sp, root := benchFixture(b, n)
			b.Logf("fixture of %d messages written in %s", n, time.Since(t0).Round(time.Millisecond))
			var list []time.Duration
			for range 5 {
				t := time.Now()
				if got, err := bareList(sp); err != nil || got != n {
					b.Fatalf("listed %d of %d: %v", got, n, err)
				}
				list = append(list, time.Since(t))
			}
			bare := percentile(list, 50)
			b.Logf("listing every mailbox: %s", bare)
			queries := []struct{ name, q string }{
				{"word_common", "deploy"},
				{"word_rare", "zanzibar"},
				{"from_unread", "from:agent03 is:unread"},
				{"to_after", "to:agent05 after:1d"},
				{"from_words", "from:agent07 rollback hotfix"},
				{"thread", "thread:" + root},
			}
			engines := []Engine{EngineScan}
			if _, err := exec.LookPath("notmuch"); err == nil && (n <= 15000 || os.Getenv("IPC_BENCH_NOTMUCH_1M") == "1") {
				engines = append(engines, EngineNotmuch)
			}
			for _, eng := range engines {
				s := New(sp)
				if eng == EngineNotmuch {
					t := time.Now()
					if err := s.Index().Update(context.Background()); err != nil {
						b.Fatal(err)
					}
					b.Logf("notmuch indexed %d messages in %s", n, time.Since(t).Round(time.Millisecond))
				}
				for _, qq := range queries {
					q, err := Parse(qq.q, time.Now(), time.Local)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := notmuchQuery(q, sp.Host()); eng == EngineNotmuch && err != nil {
						continue // the searcher scans for this query
					}
					b.Run(string(eng)+"/"+qq.name, func(b *testing.B) {
						benchQuery(b, sp, s, eng, q, bare)
					})
				}
			}
		})
	}
}

func benchQuery(b *testing.B, sp *spool.Spool, s *Searcher, eng Engine, q Query, bare time.Duration) {
	var took []time.Duration
	hits := 0
	for b.Loop() {
		t := time.Now()
		var res Result
		var err error
		if eng == EngineScan {
			res, err = scan(context.Background(), sp, q, Options{Limit: DefaultLimit})
		} else {
			res, err = s.Search(context.Background(), q, Options{})
		}
		took = append(took, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		if res.Engine != eng {
			b.Fatalf("answered by %s, want %s", res.Engine, eng)
		}
		hits = len(res.Hits)
	}
	if hits == 0 {
		b.Fatal("no hits")
	}
	p50 := percentile(took, 50)
	b.ReportMetric(float64(p50.Microseconds()), "p50_us")
	b.ReportMetric(float64(percentile(took, 95).Microseconds()), "p95_us")
	b.ReportMetric(float64(p50)/float64(bare), "x_list")
	b.ReportMetric(float64(hits), "hits")
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
