package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

func newRules(t *testing.T, c spool.Config, opts ...spool.Option) *Rules {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), append(opts, spool.WithConfig(c))...)
	if err != nil {
		t.Fatal(err)
	}
	return New(sp)
}

func TestSender(t *testing.T) {
	if got := Sender(""); got != UnknownSender {
		t.Errorf("Sender(\"\") = %q, want %q", got, UnknownSender)
	}
	if got := Sender("alice"); got != "alice" {
		t.Errorf("Sender(alice) = %q", got)
	}
}

// TestRead delivers one message to bob, has bob check it and Read it, and
// looks at what came back to its sender.
func TestRead(t *testing.T) {
	asks := json.RawMessage(`{"receipt": true}`)
	tests := []struct {
		name    string
		from    string
		data    json.RawMessage
		twice   bool // the message is given twice in one Read
		want    int  // receipts reported
		arrived int  // receipts in the sender's mailbox
	}{
		{"asked", "alice", asks, false, 1, 1},
		{"asked, given twice", "alice", asks, true, 1, 1},
		{"not asked", "alice", json.RawMessage(`{"receipt": false}`), false, 0, 0},
		{"no data", "alice", nil, false, 0, 0},
		{"from oneself", "bob", asks, false, 0, 0},
		{"unknown sender", "", asks, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRules(t, spool.DefaultConfig())
			if _, err := r.Send(spool.Draft{From: tt.from, To: []string{"bob"}, Body: "hello", Data: tt.data}); err != nil {
				t.Fatal(err)
			}
			mb, _ := r.Spool().Mailbox("bob")
			msgs, err := mb.Check(spool.CheckOptions{})
			if err != nil || len(msgs) != 1 {
				t.Fatalf("check: %v %v", msgs, err)
			}
			if tt.twice {
				msgs = append(msgs, msgs[0])
			}
			got := r.Read("bob", msgs)
			if len(got) != tt.want {
				t.Fatalf("Read reported %v, want %d receipts", got, tt.want)
			}
			for _, rc := range got {
				if rc.Err != nil || rc.To != tt.from || rc.MessageID != msgs[0].ID {
					t.Errorf("receipt %+v, want one to %s for %s", rc, tt.from, msgs[0].ID)
				}
			}
			if tt.from == "" || tt.from == "bob" {
				return
			}
			sender, _ := r.Spool().Mailbox(tt.from)
			back, _ := sender.Check(spool.CheckOptions{Peek: true})
			if len(back) != tt.arrived {
				t.Fatalf("%d receipts arrived, want %d", len(back), tt.arrived)
			}
			if tt.arrived == 0 {
				return
			}
			m := back[0]
			if m.From != "bob" || m.InReplyTo == "" || !strings.Contains(m.Body, msgs[0].ID) || !strings.Contains(string(m.Data), `"type":"receipt"`) {
				t.Errorf("receipt message %+v: want from bob, in reply, naming %s, data type receipt", m, msgs[0].ID)
			}
		})
	}
}

func TestReadReportsFailure(t *testing.T) {
	c := spool.DefaultConfig()
	c.MaxUnread = 1
	r := newRules(t, c)
	if _, err := r.Send(spool.Draft{From: "carol", To: []string{"alice"}, Body: "fills alice's mailbox"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(spool.Draft{From: "alice", To: []string{"bob"}, Body: "hi", Data: json.RawMessage(`{"receipt":true}`)}); err != nil {
		t.Fatal(err)
	}
	mb, _ := r.Spool().Mailbox("bob")
	msgs, _ := mb.Check(spool.CheckOptions{})
	got := r.Read("bob", msgs)
	if len(got) != 1 || !errors.Is(got[0].Err, spool.ErrQuota) {
		t.Fatalf("Read = %+v, want one receipt failing with ErrQuota", got)
	}
	if s := got[0].String(); !strings.HasPrefix(s, "no read receipt sent to alice for "+msgs[0].ID) {
		t.Errorf("String() = %q", s)
	}
}

func TestSendingCountsAsActivity(t *testing.T) {
	now := time.Now()
	r := newRules(t, spool.DefaultConfig(), spool.WithClock(func() time.Time { return now }))
	if _, err := r.Spool().EnsureMailbox("zed"); err != nil { // someone to broadcast to
		t.Fatal(err)
	}
	acts := map[string]func(from string) error{
		"send": func(from string) error {
			_, err := r.Send(spool.Draft{From: from, To: []string{"zed"}, Body: "x"})
			return err
		},
		"broadcast": func(from string) error {
			_, err := r.Broadcast(from, "x", nil)
			return err
		},
		"reply": func(from string) error {
			mb, _ := r.Spool().Mailbox(from)
			msgs, err := mb.Check(spool.CheckOptions{Peek: true})
			if err != nil || len(msgs) == 0 {
				return fmt.Errorf("nothing to reply to: %v", err)
			}
			_, err = r.Reply(from, msgs[0].ID, "answer", nil)
			return err
		},
		"active": func(from string) error { r.Active(from); return nil },
	}
	for how, act := range acts {
		t.Run(how, func(t *testing.T) {
			from := "s" + how
			o, err := r.Spool().Claim(from) // a registered name, so that it has a presence
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Send(spool.Draft{From: "zed", To: []string{from}, Body: "question"}); err != nil {
				t.Fatal(err)
			}
			o.Release()
			now = now.Add(time.Hour)
			if err := act(from); err != nil {
				t.Fatal(err)
			}
			if seen := r.Spool().Presence(from).LastSeen; seen.Before(now.Add(-time.Second)) {
				t.Errorf("last seen %v after %s, want %v", seen, how, now)
			}
		})
	}
}
