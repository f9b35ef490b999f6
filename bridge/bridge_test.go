package bridge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/spool"
)

func TestTwoHostsExchangeBothWays(t *testing.T) {
	ns := startServer(t, nil)
	a := newHost(t, ns.url(), "hosta", spool.DefaultConfig())
	b := newHost(t, ns.url(), "hostb", spool.DefaultConfig())
	mustRegister(t, a.sp, "alice")
	mustRegister(t, b.sp, "bob")
	a.start()
	b.start()

	rc := a.send("alice", "bob@hostb", "hello from a")
	if !rc.Delivered[0].Remote {
		t.Fatalf("receipt %+v: want remote", rc)
	}
	got := b.waitCount("bob", 1, 10*time.Second)
	m := got[0]
	if m.ID != rc.ID || m.From != "alice" || m.FromHost != "hosta" || strings.TrimSpace(m.Body) != "hello from a" {
		t.Fatalf("bob got %+v", m)
	}
	if m.Provenance != spool.ProvBridge || m.ProvenanceHost != "hosta" {
		t.Errorf("provenance %q host %q, want bridge from hosta", m.Provenance, m.ProvenanceHost)
	}
	// bob answers; the reply finds alice on hosta.
	if _, err := b.sp.Reply("bob", m.ID, "hello back", nil); err != nil {
		t.Fatal(err)
	}
	back := a.waitCount("alice", 1, 10*time.Second)[0]
	if back.From != "bob" || back.FromHost != "hostb" || back.InReplyTo != m.ID {
		t.Fatalf("alice got %+v", back)
	}
	waitFor(t, "remote queues to empty", 5*time.Second, func() bool {
		na, _ := a.sp.RemoteQueued()
		nb, _ := b.sp.RemoteQueued()
		return na == 0 && nb == 0
	})

	// Presence: each side sees the other's names.
	waitFor(t, "hosta to see bob@hostb", 5*time.Second, func() bool {
		return len(a.sp.Fleet().HostsOf("bob")) == 1
	})
	waitFor(t, "hostb to see alice@hosta online", 5*time.Second, func() bool {
		return b.sp.Fleet().Hosts["hosta"].Names["alice"].Online
	})
	// A plain name known only on the other host goes there.
	rc = a.send("alice", "bob", "by plain name")
	if rc.Delivered[0].To != "bob@hostb" {
		t.Errorf("plain name went to %+v", rc.Delivered)
	}
	b.waitCount("bob", 2, 10*time.Second)

	// A read receipt crosses back: the rules layer answers NAME@HOST.
	if _, err := a.sp.Send(spool.Draft{From: "alice", To: []string{"bob@hostb"}, Body: "tell me when read",
		Data: json.RawMessage(`{"receipt": true}`)}); err != nil {
		t.Fatal(err)
	}
	ms := b.waitCount("bob", 3, 10*time.Second)
	for _, r := range rules.New(b.sp).Read("bob", ms[2:]) {
		if r.Err != nil || r.To != "alice@hosta" {
			t.Fatalf("receipt %+v", r)
		}
	}
	a.waitCount("alice", 2, 10*time.Second)
	// The counts follow the acks, a moment after the deliveries.
	waitFor(t, "hosta's status to count 3 sent, 2 received", 5*time.Second, func() bool {
		st := a.br.Status()
		return st.Connected && st.Error == "" && st.Sent == 3 && st.Received == 2
	})
}

func TestBroadcastReachesEveryHostAndForwardsHold(t *testing.T) {
	ns := startServer(t, nil)
	a := newHost(t, ns.url(), "hosta", noLimits())
	b := newHost(t, ns.url(), "hostb", noLimits())
	c := newHost(t, ns.url(), "hostc", noLimits())
	mustRegister(t, a.sp, "alice")
	mustRegister(t, a.sp, "ann")
	mustRegister(t, b.sp, "bob")
	o := mustRegister(t, c.sp, "carl")
	for _, h := range []*host{a, b, c} {
		h.start()
	}
	waitFor(t, "hosta to know both other hosts", 5*time.Second, func() bool { return len(a.sp.Fleet().Hosts) == 2 })

	rc, err := a.sp.Broadcast("alice", "all hands", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Delivered) != 2 { // ann here, one copy for the other hosts
		t.Fatalf("broadcast receipt %+v", rc.Delivered)
	}
	a.waitCount("ann", 1, 10*time.Second)
	b.waitCount("bob", 1, 10*time.Second)
	c.waitCount("carl", 1, 10*time.Second)
	if got := a.mail("alice"); len(got) != 0 {
		t.Errorf("the sender got its own broadcast back: %d", len(got))
	}

	// carl renames to karl on hostc: mail for carl@hostc follows the forward,
	// and hosta learns of the forward through presence.
	if _, err := c.sp.Rename(o, "karl"); err != nil {
		t.Fatal(err)
	}
	a.send("alice", "carl@hostc", "after the rename")
	c.waitCount("karl", 2, 10*time.Second)
	waitFor(t, "hosta to see the forward carl → karl", 5*time.Second, func() bool {
		return a.sp.Fleet().Hosts["hostc"].Names["carl"].ForwardTo == "karl"
	})
}
