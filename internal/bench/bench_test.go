package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
)

func TestCollect(t *testing.T) {
	t0 := time.Unix(1000, 0)
	starts := []time.Time{t0, t0.Add(time.Millisecond), t0.Add(2 * time.Millisecond)}
	tests := []struct {
		name                   string
		reports                []int
		missed, dup, outOfOrer int
	}{
		{"all in order", []int{0, 1, 2}, 0, 0, 0},
		{"one twice", []int{0, 1, 1, 2}, 0, 1, 0},
		{"out of order", []int{0, 2, 1}, 0, 0, 1},
		{"one missed", []int{0, 2}, 1, 0, 0},
		{"unknown numbers ignored", []int{0, 7, -1, 1, 2}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := make(chan arrival, len(tt.reports))
			for i, n := range tt.reports {
				ch <- arrival{n, t0.Add(time.Duration(10+i) * time.Millisecond)}
			}
			r := collectWithin(ch, starts, 50*time.Millisecond)
			if r.missed != tt.missed || r.dup != tt.dup || r.outOfOrder != tt.outOfOrer {
				t.Errorf("missed %d dup %d out of order %d, want %d %d %d", r.missed, r.dup, r.outOfOrder, tt.missed, tt.dup, tt.outOfOrer)
			}
			if len(r.lat)+r.missed != len(starts) {
				t.Errorf("%d latencies + %d missed for %d messages", len(r.lat), r.missed, len(starts))
			}
			if r.first != 10*time.Millisecond {
				t.Errorf("first = %v, want 10ms", r.first)
			}
		})
	}
}

func TestRatesTakeTurns(t *testing.T) {
	var order []string
	side := func(name string) work {
		return func(_ *atomic.Int64, _ time.Time) (int, error) {
			order = append(order, name)
			time.Sleep(time.Millisecond)
			return 10, nil
		}
	}
	resets := 0
	c, err := rates(pace{rounds: 3, turn: time.Millisecond, budget: time.Hour}, side("bare"), side("ipc"), func() error { resets++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "bare ipc ipc bare bare ipc" {
		t.Errorf("turns %q: the order must swap every round", got)
	}
	if resets != 6 {
		t.Errorf("%d resets, want one after each of 6 turns", resets)
	}
	if c.bare <= 0 || c.ipc <= 0 || len(c.rounds) != 3 {
		t.Errorf("rates %+v", c)
	}
}

func TestBareClaimAndUnclaim(t *testing.T) {
	dir := t.TempDir()
	if err := maildir(dir); err != nil {
		t.Fatal(err)
	}
	names, err := fill(filepath.Join(dir, "new"), 3, dropIn("bob", "x"), "bench", "")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := bareop.Claim(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "cur", names[0]+":2,S"); p != want {
		t.Fatalf("claimed %s, want the oldest, %s", p, want)
	}
	if err := unclaim([]string{p}); err != nil {
		t.Fatal(err)
	}
	got, _ := bareop.Names(filepath.Join(dir, "new"))
	if len(got) != 3 {
		t.Errorf("new/ holds %v after unclaim, want all 3", got)
	}
	if tmp, _ := bareop.Names(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("fill left %v in tmp/", tmp)
	}
}

func TestNumberIn(t *testing.T) {
	data := dropIn("bob", "x")
	name := mailName(time.Now(), tokenBase+42, "bench", len(data))
	for _, s := range []string{name, "be000000002a  from script  just now", `{"message_id":"be000000002a"}`} {
		if n, ok := numberIn(s); !ok || n != 42 {
			t.Errorf("numberIn(%q) = %d, %v; want 42", s, n, ok)
		}
	}
	if _, ok := numberIn("no id here"); ok {
		t.Error("numberIn found a number in a line without one")
	}
}

func TestReportOutputs(t *testing.T) {
	r := &Report{Scale: "default", Figures: []Figure{
		rate("send", "spool API, 1 sender", 900, 1000, bareSendYard),
		took("list", "ipc list", 10*time.Millisecond, 2*time.Millisecond, "readdir"),
		failed("claim", "1,000 unread", os.ErrDeadlineExceeded),
	}}
	var table, md, js bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0.900×", "5.00×", "not measured: i/o timeout"} {
		if !strings.Contains(table.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("table or markdown lacks %q:\n%s\n%s", want, table.String(), md.String())
		}
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Figures) != 3 || back.Figures[0].Ratio != 0.9 {
		t.Errorf("JSON %s: %v", js.String(), err)
	}
}
