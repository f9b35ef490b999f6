package bridge

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// exchange sends k messages each way, numbered from first.
func exchange(a, b *host, first, k int) {
	for i := first; i < first+k; i++ {
		a.send("alice", "bob@hostb", fmt.Sprintf("a→b %d", i))
		b.send("bob", "alice@hosta", fmt.Sprintf("b→a %d", i))
	}
}

func twoHosts(t *testing.T, ns *natsServer) (a, b *host) {
	a = newHost(t, ns.url(), "hosta", noLimits())
	b = newHost(t, ns.url(), "hostb", noLimits())
	mustRegister(t, a.sp, "alice")
	mustRegister(t, b.sp, "bob")
	a.start()
	b.start()
	return a, b
}

func TestServerRestartAndOutage(t *testing.T) {
	ns := startServer(t, nil)
	a, b := twoHosts(t, ns)
	exchange(a, b, 0, 20)
	b.waitCount("bob", 20, 20*time.Second)
	a.waitCount("alice", 20, 20*time.Second)

	// A restart in the middle of a stream of mail.
	exchange(a, b, 20, 20)
	ns.stop()
	ns.start()
	exchange(a, b, 40, 20)
	b.waitCount("bob", 60, 30*time.Second)
	a.waitCount("alice", 60, 30*time.Second)

	// An outage: mail written meanwhile waits on disk, and the status says why.
	ns.stop()
	exchange(a, b, 60, 30)
	waitFor(t, "hosta to report the server unreachable", 10*time.Second, func() bool {
		st := a.br.Status()
		return !st.Connected && strings.Contains(st.Error, ErrUnreachable.Error())
	})
	if q, _ := a.sp.RemoteQueued(); q != 30 {
		t.Errorf("hosta queues %d during the outage, want 30", q)
	}
	if got := len(a.mail("alice")); got != 60 {
		t.Errorf("alice has %d during the outage, want 60", got)
	}
	time.Sleep(time.Second)
	ns.start()
	b.waitCount("bob", 90, 30*time.Second)
	a.waitCount("alice", 90, 30*time.Second)
	waitFor(t, "hosta to report itself connected", 10*time.Second, func() bool {
		st := a.br.Status()
		return st.Connected && st.Error == ""
	})
	if q, _ := a.sp.RemoteQueued(); q != 0 {
		t.Errorf("hosta still queues %d", q)
	}
}

func TestUnreachableServerKeepsMailOnDisk(t *testing.T) {
	h := newHost(t, fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)), "hosta", noLimits())
	mustRegister(t, h.sp, "alice")
	h.start()
	h.send("alice", "bob@hostb", "waits")
	h.send("alice", "carol", "local mail keeps working")
	waitFor(t, "the status to say unreachable", 10*time.Second, func() bool {
		st := h.status()
		return strings.Contains(st.Error, "unreachable") && st.Queued == 1 && !st.Connected
	})
	if got := h.mail("carol"); len(got) != 1 {
		t.Errorf("carol has %d messages, want 1", len(got))
	}
}

func TestBadInputIsAClearError(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, ns *natsServer, cfg *Config)
		want error
	}{
		{"bad credentials", func(t *testing.T, ns *natsServer, cfg *Config) {
			cfg.URL = strings.Replace(ns.url(), "nats://", "nats://hosta:wrong@", 1)
		}, ErrAuth},
		{"stream with other settings", func(t *testing.T, ns *natsServer, cfg *Config) {
			js := connectJS(t, userURL(ns.url(), "admin"))
			createStream(t, js, StreamName, []string{"other.>"})
		}, ErrSettings},
		{"bucket without expiry", func(t *testing.T, ns *natsServer, cfg *Config) {
			js := connectJS(t, userURL(ns.url(), "admin"))
			createKV(t, js, PresenceBucket, 0)
		}, ErrSettings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := startServer(t, func(o *server_Options) { o.Users = usersFor("hosta") })
			h := newHost(t, userURL(ns.url(), "hosta"), "hosta", noLimits())
			tc.edit(t, ns, &h.cfg)
			h.send("alice", "bob@hostb", "waits on disk")
			br, err := New(h.sp, h.cfg, Options{Log: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			err = br.Run(t.Context())
			if !errors.Is(err, tc.want) {
				t.Fatalf("Run = %v; want %v", err, tc.want)
			}
			st := h.status()
			if st.Queued != 1 || st.Error == "" {
				t.Errorf("status %+v: want 1 queued and the error", st)
			}
			h.send("alice", "carol", "local mail keeps working")
			if len(h.mail("carol")) != 1 {
				t.Error("local delivery failed")
			}
		})
	}
}
