package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

func TestRelTime(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 30, 0, 0, time.Local)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now, "just now"},
		{now.Add(-59 * time.Second), "just now"},
		{now.Add(20 * time.Second), "just now"}, // a little clock skew
		{now.Add(-2 * time.Minute), "2 min ago"},
		{now.Add(-59 * time.Minute), "59 min ago"},
		{now.Add(-3 * time.Hour), "3 h ago"},
		{now.Add(-23 * time.Hour), "23 h ago"},
		{time.Date(2026, 3, 13, 9, 0, 0, 0, time.Local), "yesterday"},
		{time.Date(2026, 3, 1, 9, 0, 0, 0, time.Local), "Mar 1"},
		{time.Date(2025, 12, 31, 9, 0, 0, 0, time.Local), "2025-12-31"},
		{now.Add(48 * time.Hour), "Mar 16 15:30"},
	}
	for _, tt := range tests {
		if got := relTime(now, tt.t); got != tt.want {
			t.Errorf("relTime(now, %v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestSpanAndUntil(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second:              "under a minute",
		45 * time.Minute:              "45 min",
		2 * time.Hour:                 "2 h",
		2*time.Hour - 20*time.Second:  "2 h",
		90 * time.Minute:              "1 h 30 min",
		72 * time.Hour:                "3 days",
		119*time.Minute + time.Second: "1 h 59 min",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 3, 14, 10, 34, 0, 0, time.Local)
	if got, want := untilText(now, now.Add(2*time.Hour)), "12:34 (2 h)"; got != want {
		t.Errorf("untilText = %q, want %q", got, want)
	}
	if got, want := untilText(now, now.Add(15*time.Hour)), "Mar 15 01:34 (15 h)"; got != want {
		t.Errorf("untilText across midnight = %q, want %q", got, want)
	}
}

func TestPrintMessages(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 30, 0, 0, time.Local)
	msgs := []*spool.Message{
		{ID: "3f2a9c1b04de", From: "alice", Date: now.Add(-2 * time.Minute), Subject: "build is green", Body: "build is green\n", Provenance: spool.ProvSession},
		{ID: "0123456789ab", From: "bob", Date: now.Add(-3 * time.Hour), Subject: "Re: plan", Body: "step one\nstep two\n",
			InReplyTo: "3f2a9c1b04de", Data: json.RawMessage(`{"ok":true}`), Provenance: spool.ProvCLI},
		{ID: "1500000000.M1P2.host", Date: now.Add(-26 * time.Hour), Subject: "report", Body: "report\n[Large message]\n",
			LargeFile: "/s/large/x.md", LargeSize: 20480, Provenance: spool.ProvDropIn},
	}
	var b bytes.Buffer
	printMessagesAt(&b, msgs, false, now)
	want := `3f2a9c1b04de  from alice  2 min ago
    build is green

0123456789ab  from bob  [cli, unverified]  3 h ago  Re: plan
    in reply to 3f2a9c1b04de
    step one
    step two
    data: {"ok":true}

1500000000.M1P2.host  from unknown sender  [drop-in, unverified]  yesterday  report
    report
    [Large message]
    full text: /s/large/x.md (20480 bytes)
`
	if b.String() != want {
		t.Errorf("printMessages:\n%s\nwant:\n%s", b.String(), want)
	}

	// The spool's own summary names the file already: not twice.
	b.Reset()
	printMessagesAt(&b, []*spool.Message{{ID: "a", From: "x", Date: now, Body: "sum\n[Full text: /s/large/y.md]\n",
		LargeFile: "/s/large/y.md", LargeSize: 1}}, false, now)
	if strings.Count(b.String(), "/s/large/y.md") != 1 {
		t.Errorf("large path shown twice:\n%s", b.String())
	}

	b.Reset()
	printMessagesAt(&b, msgs[:1], true, now)
	if !strings.Contains(b.String(), "\x1b[33m3f2a9c1b04de\x1b[0m") || !strings.Contains(b.String(), "\x1b[1malice\x1b[0m") {
		t.Errorf("colour output lacks escapes: %q", b.String())
	}
}

func TestPrintReceipt(t *testing.T) {
	rc := spool.Receipt{ID: "abcdef012345", LargeFile: "/s/large/f.md", Delivered: []spool.Delivered{
		{To: "bob", Mailbox: "bob"},
		{To: "carol", Mailbox: "carol", Queued: true},
		{To: "old", Mailbox: "new", Forwarded: true},
	}}
	var b bytes.Buffer
	printReceipt(&b, "sent to", rc)
	want := `sent to bob (id abcdef012345)
queued for carol (not yet registered; id abcdef012345)
forwarded from old to new (id abcdef012345)
large message: the full text is saved in /s/large/f.md
`
	if b.String() != want {
		t.Errorf("printReceipt:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestColorOnlyOnTerminal(t *testing.T) {
	a := &App{Out: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	if a.color() {
		t.Error("colour on for a buffer")
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		testkit.SkipEnv(t, "no pseudo-terminal to test with: %v", err)
	}
	defer pty.Close()
	env := map[string]string{}
	a = &App{Out: pty, Getenv: func(k string) string { return env[k] }}
	if !a.color() {
		t.Error("colour off on a terminal")
	}
	env["NO_COLOR"] = "1"
	if a.color() {
		t.Error("colour on with NO_COLOR set")
	}
}
