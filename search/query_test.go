package search

import (
	"errors"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	yes, no := true, false
	tests := []struct {
		in   string
		want Query
	}{
		{"", Query{}},
		{"Deploy", Query{Words: []string{"deploy"}}},
		{`"Build Failed" now`, Query{Words: []string{"build failed", "now"}}},
		{"from:Alice to:bob", Query{From: []string{"alice"}, To: []string{"bob"}}},
		{"from:alice from:carol", Query{From: []string{"alice", "carol"}}},
		{"date:2026-12-01", Query{After: day(1), Before: day(2)}},
		{"date:2026-12-01..2026-12-02", Query{After: day(1), Before: day(3)}},
		{"date:..2026-12-02", Query{Before: day(3)}},
		{"after:2026-12-01 before:2026-12-03", Query{After: day(1), Before: day(3)}},
		{"after:2h", Query{After: now.Add(-2 * time.Hour)}},
		{"after:7d", Query{After: now.Add(-7 * 24 * time.Hour)}},
		{"after:2026-12-01T10:30", Query{After: time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)}},
		{"thread:<0123456789ab@host>", Query{Thread: "0123456789ab"}},
		{"id:0123", Query{ID: "0123"}},
		{"is:unread", Query{Unread: &yes}},
		{"is:read", Query{Unread: &no}},
		{"subject:x", Query{Words: []string{"subject:x"}}}, // not a key: a word
		{`"from:alice"`, Query{Words: []string{"from:alice"}}},
		{"https://x.org/a", Query{Words: []string{"https://x.org/a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in, now, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if !equalQuery(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func equalQuery(a, b Query) bool {
	eq := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return eq(a.Words, b.Words) && eq(a.From, b.From) && eq(a.To, b.To) && a.After.Equal(b.After) &&
		a.Before.Equal(b.Before) && a.Thread == b.Thread && a.ID == b.ID &&
		(a.Unread == nil) == (b.Unread == nil) && (a.Unread == nil || *a.Unread == *b.Unread)
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		`"open`, "from:", "from:bad/name", "to:a..b", "is:flagged", "after:yesterday",
		"date:2026-13-01", "id:ab", "after:2026-12-02 before:2026-12-01",
	} {
		t.Run(in, func(t *testing.T) {
			if _, err := Parse(in, now, time.UTC); !errors.Is(err, ErrBadQuery) {
				t.Errorf("Parse(%q) = %v, want ErrBadQuery", in, err)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	m := &spool.Message{ID: "0123456789ab", From: "alice", To: []string{"bob"}, Date: now,
		Subject: "Deploy v1.2", Body: "The deployment of <script>x</script> is done.\n",
		InReplyTo: "aaaaaaaaaaaa", References: []string{"rootrootroot", "aaaaaaaaaaaa"}}
	tests := []struct {
		q    string
		want bool
	}{
		{"", true},
		{"deploy", true},
		{"DEPLOYMENT done", true},
		{"ploy", false}, // not at the start of a word
		{`"is done"`, true},
		{`"done is"`, false},
		{"<script>", true},
		{"v1.2", true},
		{"from:alice", true},
		{"from:ALICE", true},
		{"from:bob", false},
		{"to:bob", true},
		{"to:carol", false},
		{"date:2026-12-01", true},
		{"date:2026-12-02", false},
		{"after:2026-12-01T12:00", true},
		{"before:2026-12-01T12:00", false},
		{"thread:rootrootroot", true},
		{"thread:aaaaaaaaaaaa", true},
		{"thread:0123456789ab", true},
		{"thread:bbbbbbbbbbbb", false},
		{"id:0123", true},
		{"id:0124", false},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q, err := Parse(tt.q, now, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Match("bob", m); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestNotmuchQuery(t *testing.T) {
	tests := []struct{ q, want string }{
		{"deploy", "deploy*"},
		{`"build failed" v1.2`, "build* AND failed*"},
		{"from:alice from:bob", "(from:alice OR from:bob)"},
		{"from:alice date:2026-12-01", "(from:alice) AND date:@1795996800..@1796256000"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.q, now, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		got, err := notmuchQuery(q, "host")
		if err != nil || got != tt.want {
			t.Errorf("notmuchQuery(%q) = %q, %v; want %q", tt.q, got, err, tt.want)
		}
	}
	q, _ := Parse("thread:0123456789ab", now, time.UTC)
	if got, _ := notmuchQuery(q, "host"); got != "thread:{id:0123456789ab@host}" {
		t.Errorf("thread: %q", got)
	}
	for _, in := range []string{"to:bob", "is:unread", "v1.2", `thread:"a b"`} {
		q, _ := Parse(in, now, time.UTC)
		if _, err := notmuchQuery(q, "host"); !errors.Is(err, errNoTerms) {
			t.Errorf("notmuchQuery(%q): %v, want errNoTerms", in, err)
		}
	}
}
