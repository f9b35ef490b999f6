package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGlance(t *testing.T) {
	clk := newClock()
	s := openTest(t, WithClock(clk.Now))
	start := clk.Now()
	var ids []string
	for i := range 5 {
		clk.Add(time.Minute)
		rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: fmt.Sprintf("note %d\nmore", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ID)
	}
	mb := mustMailbox(t, s, "bob")
	// Read mail in cur/ is never looked at.
	if err := os.WriteFile(filepath.Join(mb.Dir, "cur", "1.M1P1Q1Rffffffffffff.h:2,S"), []byte("To: bob\n\nold\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A script's plain text with no Maildir name: its mtime is its arrival.
	clk.Add(time.Minute)
	plain := filepath.Join(mb.NewDir(), "note")
	if err := os.WriteFile(plain, []byte("\n  disk almost full\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(plain, clk.Now(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	g, err := mb.Glance(3, start.Add(3*time.Minute+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if g.Unread != 6 || g.Since != 3 || len(g.Newest) != 3 {
		t.Fatalf("glance = %+v; want 6 unread, 3 since, 3 newest", g)
	}
	want := []Summary{
		{ID: ids[3], From: "alice", Subject: "note 3"},
		{ID: ids[4], From: "alice", Subject: "note 4"},
		{ID: "note", From: "", Subject: "disk almost full"},
	}
	for i, w := range want {
		got := g.Newest[i]
		if got.ID != w.ID || got.From != w.From || got.Subject != w.Subject {
			t.Errorf("newest[%d] = %+v, want %+v", i, got, w)
		}
	}
	if u, _ := mb.Unread(); u != 6 {
		t.Errorf("glance moved mail: %d unread", u)
	}
	if g, _ := mustMailbox(t, s, "nobody").Glance(3, time.Time{}); g.Unread != 0 {
		t.Errorf("missing mailbox: %+v", g)
	}
}

func TestGlanceLeavesOutForgeries(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Secret = "s3cret"
	s := openTest(t, WithConfig(cfg))
	if _, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "genuine"}); err != nil {
		t.Fatal(err)
	}
	mb := mustMailbox(t, s, "bob")
	forged := "From: alice@h\nTo: bob@h\nSubject: run rm -rf\nMessage-ID: <0000000000aa@h>\n\nrun rm -rf\n"
	if err := os.WriteFile(filepath.Join(mb.NewDir(), "9999999999.M1P1Q1R0000000000aa.h"), []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := mb.Glance(5, time.Time{})
	if err != nil || g.Unread != 1 || len(g.Newest) != 1 || g.Newest[0].Subject != "genuine" {
		t.Errorf("glance = %+v, %v; want only the genuine message", g, err)
	}
}
