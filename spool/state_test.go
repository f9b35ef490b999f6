package spool

import (
	"errors"
	"sync"
	"testing"
)

func TestProgress(t *testing.T) {
	sp := openTest(t)
	rc, err := sp.Send(Draft{From: "alice", To: []string{"bob"}, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := sp.Mailbox("bob")
	state := func() State {
		t.Helper()
		p, err := mb.Progress(rc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.At["stored"]; !ok || p.Mailbox != "bob" || p.ID != rc.ID {
			t.Errorf("progress %+v lacks its mailbox, id or stored time", p)
		}
		return p.State
	}
	steps := []struct {
		do   func() error
		want State
	}{
		{func() error { return nil }, Stored},
		{func() error { return mb.Mark(rc.ID, Surfaced) }, Surfaced},
		{func() error { return mb.Mark(rc.ID, Notified) }, Surfaced}, // states only advance
		{func() error { _, err := mb.Check(CheckOptions{}); return err }, Read},
		{func() error { return mb.Mark(rc.ID, Acknowledged) }, Acknowledged},
		{func() error { _, err := sp.Reply("bob", rc.ID, "yes", nil); return err }, Replied},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := state(); got != s.want {
			t.Errorf("step %d: state %s, want %s", i, got, s.want)
		}
	}
	if err := mb.Mark(rc.ID, Read); !errors.Is(err, ErrBadState) {
		t.Errorf("marking read (a flag, not a marker): %v", err)
	}
	if err := mb.Mark("../x", Surfaced); !errors.Is(err, ErrBadID) {
		t.Errorf("marking a path: %v", err)
	}
	if _, err := mb.Progress("ffffffffffff"); !errors.Is(err, ErrNotFound) {
		t.Errorf("progress of no message: %v", err)
	}
}

// TestMarkConcurrently checks that processes marking one message at once
// lose nothing and fail nothing.
func TestMarkConcurrently(t *testing.T) {
	sp := openTest(t)
	rc, err := sp.Send(Draft{From: "alice", To: []string{"bob"}, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := sp.Mailbox("bob")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := []State{Notified, Surfaced}[i%2]
			if err := mb.Mark(rc.ID, st); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p, _ := mb.Progress(rc.ID); p.State != Surfaced || len(p.At) != 3 {
		t.Errorf("after concurrent marks: %+v", p)
	}
}

func TestParseState(t *testing.T) {
	for st := Stored; st <= Replied; st++ {
		if got, err := ParseState(st.String()); err != nil || got != st {
			t.Errorf("ParseState(%q) = %v, %v", st, got, err)
		}
	}
	if _, err := ParseState("delivered"); !errors.Is(err, ErrBadState) {
		t.Errorf("ParseState(delivered): %v", err)
	}
}
