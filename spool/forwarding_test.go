package spool

import (
	"testing"
	"time"
)

func TestApplyForwards(t *testing.T) {
	clk := newClock()
	s := openTest(t, WithClock(clk.Now))
	until := clk.Now().Add(2 * time.Hour)
	for _, f := range [][2]string{{"a", "b"}, {"b", "c"}, {"x", "y"}} {
		if err := s.setForward(f[0], f[1], until); err != nil {
			t.Fatal(err)
		}
	}
	deliverRaw := func(name string, at time.Time) {
		t.Helper()
		clk.t = at
		mb, _, err := s.ensureMailbox(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mb.deliverBytes(newID(), []byte("To: "+name+"\n\nhi\n")); err != nil {
			t.Fatal(err)
		}
	}
	start := clk.Now()
	// Mail that reached the old names directly (a script's mv, a race).
	deliverRaw("a", start.Add(time.Minute))
	deliverRaw("x", start.Add(time.Minute))
	clk.t = start.Add(10 * time.Minute)
	n, err := s.ApplyForwards()
	if err != nil || n != 2 {
		t.Fatalf("ApplyForwards = %d, %v; want 2 moved (a→b→c, x→y)", n, err)
	}
	count := func(name string) int { u, _ := mustMailbox(t, s, name).Unread(); return u }
	if count("a") != 0 || count("c") != 1 || count("b") != 0 || count("y") != 1 || count("x") != 0 {
		t.Errorf("unread a=%d b=%d c=%d x=%d y=%d", count("a"), count("b"), count("c"), count("x"), count("y"))
	}
	// Past the forwards' end: what arrives now stays, the forwards go.
	deliverRaw("x", until.Add(time.Minute))
	clk.t = until.Add(2 * time.Minute)
	n, err = s.ApplyForwards()
	if err != nil || n != 0 {
		t.Fatalf("ApplyForwards after expiry = %d, %v", n, err)
	}
	if fws, _ := s.Forwards(); len(fws) != 0 {
		t.Errorf("expired forwards kept: %v", fws)
	}
	if count("x") != 1 || count("y") != 1 {
		t.Errorf("after expiry x=%d y=%d, want 1 and 1", count("x"), count("y"))
	}
}

func TestApplyForwardsMovesMailDeliveredWhileLive(t *testing.T) {
	clk := newClock()
	s := openTest(t, WithClock(clk.Now))
	until := clk.Now().Add(time.Hour)
	if err := s.setForward("old", "new", until); err != nil {
		t.Fatal(err)
	}
	mb, _, _ := s.ensureMailbox("old")
	if _, err := mb.deliverBytes(newID(), []byte("hi\n")); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour) // the leader was down until after the forward ended
	if n, err := s.ApplyForwards(); err != nil || n != 1 {
		t.Fatalf("ApplyForwards = %d, %v; want the message delivered while live moved", n, err)
	}
	if u, _ := mustMailbox(t, s, "new").Unread(); u != 1 {
		t.Errorf("new has %d unread", u)
	}
}
