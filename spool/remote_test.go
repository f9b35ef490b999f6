package spool

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSplitAddress(t *testing.T) {
	for _, tc := range []struct {
		addr, name, host string
		ok               bool
	}{
		{"bob", "bob", "", true},
		{"bob@hostb", "bob", "hostb", true},
		{"bob@host-2_x", "bob", "host-2_x", true},
		{"bob@", "", "", false},
		{"bob@a.b", "", "", false}, // a host is one subject token
		{"bob@a/b", "", "", false},
		{"@hostb", "", "", false},
		{"b b@hostb", "", "", false},
		{"bob@hostb@x", "", "", false},
	} {
		name, host, err := SplitAddress(tc.addr)
		if (err == nil) != tc.ok || name != tc.name || host != tc.host {
			t.Errorf("SplitAddress(%q) = %q, %q, %v; want %q, %q, ok %v", tc.addr, name, host, err, tc.name, tc.host, tc.ok)
		}
	}
}

// remoteQueue returns the files queued in remote/new/ and their contents.
func remoteQueue(t *testing.T, s *Spool) [][]byte {
	t.Helper()
	var out [][]byte
	for _, n := range files(t, filepath.Join(s.RemoteDir(), "new")) {
		b, err := os.ReadFile(filepath.Join(s.RemoteDir(), "new", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestSendToRemoteAddressQueues(t *testing.T) {
	s := openTest(t)
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob@hostb", "carol", "dave@" + s.Host()}, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Delivered) != 3 || !rc.Delivered[0].Remote || rc.Delivered[1].Remote || rc.Delivered[2].Mailbox != "dave" {
		t.Fatalf("receipt %+v: want bob@hostb remote, carol and dave local", rc.Delivered)
	}
	if mustMailbox(t, s, "bob").Exists() {
		t.Error("a local mailbox bob was created for bob@hostb")
	}
	q := remoteQueue(t, s)
	if len(q) != 1 || !bytes.HasPrefix(q[0], []byte(EnvelopeHeader+": bob@hostb\n")) {
		t.Fatalf("remote queue %q: want one copy with the envelope header", q)
	}
	if n, err := s.RemoteQueued(); err != nil || n != 1 {
		t.Errorf("RemoteQueued = %d, %v; want 1", n, err)
	}
	m, err := ParseMessage(bytes.NewReader(q[0]), "k", time.Now())
	if err != nil || m.ID != rc.ID || strings.Join(m.To, ",") != "bob,carol,dave" {
		t.Fatalf("queued copy parses as %+v, %v", m, err)
	}
}

func TestFleetNameAndBroadcast(t *testing.T) {
	s := openTest(t)
	if _, err := s.Broadcast("alice", "anyone?", nil); err == nil {
		t.Fatal("broadcast with nobody here and no fleet succeeded")
	}
	f := Fleet{Hosts: map[string]FleetHost{"hostb": {Names: map[string]FleetName{"bob": {Online: true}}}}}
	if err := s.WriteFleet(f); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "found you"})
	if err != nil || !rc.Delivered[0].Remote || rc.Delivered[0].To != "bob@hostb" {
		t.Fatalf("send to a name known only on hostb: %+v, %v", rc, err)
	}
	rc, err = s.Broadcast("alice", "everyone", nil)
	if err != nil || len(rc.Delivered) != 1 || rc.Delivered[0].To != EnvelopeAllHosts {
		t.Fatalf("broadcast with only other hosts: %+v, %v", rc, err)
	}
	if q := remoteQueue(t, s); len(q) != 2 {
		t.Fatalf("remote queue holds %d, want 2", len(q))
	}
}

func TestSignatureVerifiesOnTheOtherHost(t *testing.T) {
	c := DefaultConfig()
	c.Secret = "s3cret"
	a := openTest(t, WithConfig(c))
	if _, err := a.Send(Draft{From: "alice", To: []string{"bob@hostb"}, Body: "signed"}); err != nil {
		t.Fatal(err)
	}
	raw := remoteQueue(t, a)[0]
	m, err := ParseMessage(bytes.NewReader(raw), "k", time.Now())
	if err != nil || !m.Verify("s3cret") || m.FromHost != a.Host() {
		t.Fatalf("parsed %+v (%v): signature must verify and FromHost be %q", m, err, a.Host())
	}
	// The reply from hostb's side goes back to alice@HOST.
	b := openTest(t, WithConfig(c))
	m.FromHost = "hosta"
	if got := b.ReplyAddress(m); got != "alice@hosta" {
		t.Errorf("reply address %q, want alice@hosta", got)
	}
}
