package bridge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/claude-ipc/ipc/spool"
)

// quarantined returns the reasons of what hostb quarantined.
func quarantined(t *testing.T, h *host) []string {
	t.Helper()
	var why []string
	matches, _ := filepath.Glob(filepath.Join(h.sp.Root, "quarantine", "*.why"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		why = append(why, string(b))
	}
	return why
}

func TestPermissionsKeepAHostToItsOwnName(t *testing.T) {
	ns := startServer(t, func(o *server_Options) { o.Users = usersFor("hosta", "hostb") })
	a := newHost(t, userURL(ns.url(), "hosta"), "hosta", noLimits())
	b := newHost(t, userURL(ns.url(), "hostb"), "hostb", noLimits())
	mustRegister(t, a.sp, "alice")
	mustRegister(t, b.sp, "bob")
	a.start()
	b.start()
	// The documented permissions are enough for everything the bridge does.
	a.send("alice", "bob@hostb", "allowed")
	b.send("bob", "alice@hosta", "allowed too")
	a.send("alice", "bob@hostb", strings.Repeat("large, through the object store\n", 1000))
	b.waitCount("bob", 2, 10*time.Second)
	a.waitCount("alice", 1, 10*time.Second)
	waitFor(t, "presence both ways", 5*time.Second, func() bool {
		return len(a.sp.Fleet().HostsOf("bob")) == 1 && len(b.sp.Fleet().HostsOf("alice")) == 1
	})

	// hosta's credentials cannot publish as hostc.
	nc, err := nats.Connect(userURL(ns.url(), "hosta"), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	forged := spool.Message{ID: "0123456789ab", From: "mallory", To: []string{"bob"}, Date: time.Now(), Subject: "x", Body: "forged"}
	_, err = nc.Request("ipc.mail.hostb.bob.hostc", forged.Format("hostc"), 2*time.Second)
	if err == nil {
		t.Fatal("hosta published as hostc")
	}
	time.Sleep(300 * time.Millisecond)
	if got := b.mail("bob"); len(got) != 2 {
		t.Errorf("bob has %d messages, want only the two allowed", len(got))
	}
}

func TestForgedHostAndBadSignatureAreQuarantined(t *testing.T) {
	ns := startServer(t, nil)
	c := noLimits()
	c.Secret = "fleet-secret"
	b := newHost(t, ns.url(), "hostb", c)
	mustRegister(t, b.sp, "bob")
	b.start()
	waitFor(t, "hostb connected", 10*time.Second, func() bool { return b.br.Status().Connected })
	nc, err := nats.Connect(ns.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pub := func(subject string, m spool.Message, host, secret string) {
		t.Helper()
		sp, err := spool.Open(filepath.Join(t.TempDir(), "s"), spool.WithConfig(spool.Config{Secret: secret}))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := sp.Carried(&m, host) // signed with secret, as a host's bridge would not do: fine for a test
		if err != nil {
			t.Fatal(err)
		}
		msg := nats.NewMsg(subject)
		msg.Data = raw
		msg.Header.Set("Nats-Msg-Id", m.ID+"@"+host)
		if _, err := nc.RequestMsg(msg, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	m := func(id, body string) spool.Message {
		return spool.Message{ID: id, From: "mallory", To: []string{"bob"}, Date: time.Now(), Subject: body, Body: body}
	}
	pub("ipc.mail.hostb.bob.hosta", m("00000000000a", "From names another host"), "hostc", "fleet-secret")
	pub("ipc.mail.hostb.bob.hosta", m("00000000000b", "signed with another secret"), "hosta", "wrong")
	pub("ipc.mail.hostb.bob.hosta", m("00000000000c", "good"), "hosta", "fleet-secret")
	got := b.waitCount("bob", 1, 10*time.Second)
	if strings.TrimSpace(got[0].Body) != "good" {
		t.Fatalf("bob got %q", got[0].Body)
	}
	waitFor(t, "two quarantined", 5*time.Second, func() bool { return len(quarantined(t, b)) == 2 })
	why := strings.Join(quarantined(t, b), "\n")
	for _, want := range []string{ErrForged.Error(), errUnsigned.Error()} {
		if !strings.Contains(why, want) {
			t.Errorf("quarantine reasons %q lack %q", why, want)
		}
	}
}

func TestOverMaxPayloadTravelsWhole(t *testing.T) {
	ns := startServer(t, func(o *server_Options) { o.MaxPayload = 32 << 10 })
	noSplit := noLimits()
	noSplit.LargeThreshold = 0 // the whole body stays in the message
	a := newHost(t, ns.url(), "hosta", noSplit)
	b := newHost(t, ns.url(), "hostb", noLimits())
	a.start()
	b.start()
	huge := strings.Repeat("0123456789abcdef\n", 20000) // 340 KB, ten times the max payload
	a.send("alice", "bob@hostb", huge)
	got := b.waitCount("bob", 1, 20*time.Second)[0]
	if got.Body != huge {
		t.Fatalf("body arrived with %d bytes, want %d", len(got.Body), len(huge))
	}

	// A large message (its full text in large/) brings the full text along.
	split := newHost(t, ns.url(), "hostc", noLimits())
	split.start()
	rc := split.send("carol", "bob@hostb", huge)
	if rc.LargeFile == "" {
		t.Fatal("no large file on the sending side")
	}
	ms := b.waitCount("bob", 2, 20*time.Second)
	var large *spool.Message
	for _, m := range ms {
		if m.LargeFile != "" {
			large = m
		}
	}
	if large == nil || filepath.Dir(large.LargeFile) != b.sp.LargeDir() {
		t.Fatalf("large message on hostb: %+v; want its file in %s", large, b.sp.LargeDir())
	}
	full, err := os.ReadFile(large.LargeFile)
	if err != nil || !strings.HasSuffix(string(full), huge) {
		t.Fatalf("hostb's copy of the full text: %d bytes, %v", len(full), err)
	}
}
