package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/claude-ipc/ipc/spool"
)

// natsServer is an embedded JetStream server that can be stopped and
// started again on the same port with the same store.
type natsServer struct {
	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// startServer runs a JetStream server on a random loopback port with a
// temporary store; edit changes its options first.
func startServer(t testing.TB, edit func(*server.Options)) *natsServer {
	t.Helper()
	ns := &natsServer{t: t, opts: server.Options{
		Host: "127.0.0.1", Port: freePort(t), JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true,
	}}
	if edit != nil {
		edit(&ns.opts)
	}
	ns.start()
	t.Cleanup(ns.stop)
	return ns
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (ns *natsServer) start() {
	ns.t.Helper()
	opts := ns.opts // the server keeps and changes its copy
	srv, err := server.NewServer(&opts)
	if err != nil {
		ns.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		ns.t.Fatal("nats server not ready")
	}
	ns.srv = srv
}

func (ns *natsServer) stop() {
	if ns.srv != nil {
		ns.srv.Shutdown()
		ns.srv.WaitForShutdown()
		ns.srv = nil
	}
}

func (ns *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", ns.opts.Port) }

// host is one spool and, while running, its bridge.
type host struct {
	t      testing.TB
	name   string
	sp     *spool.Spool
	cfg    Config
	cancel context.CancelFunc
	done   chan error
	br     *Bridge
}

// fastConfig returns settings with short periods for tests.
func fastConfig(url, name string) Config {
	return Config{URL: url, Host: name, PresenceEvery: 100 * time.Millisecond, PresenceTTL: 2 * time.Second,
		RetryEvery: 100 * time.Millisecond, AckWait: time.Second}
}

func newHost(t testing.TB, url, name string, sc spool.Config) *host {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(sc))
	if err != nil {
		t.Fatal(err)
	}
	h := &host{t: t, name: name, sp: sp, cfg: fastConfig(url, name)}
	t.Cleanup(h.stop)
	return h
}

// start runs the host's bridge in this process.
func (h *host) start() {
	h.t.Helper()
	br, err := New(h.sp, h.cfg, Options{Log: testLogger(h.t)})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.br, h.cancel, h.done = br, cancel, make(chan error, 1)
	go func() { h.done <- br.Run(ctx) }()
}

func (h *host) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("bridge %s: %v", h.name, err)
	}
	h.cancel = nil
}

// testLogger logs to the test, for failures only.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t testing.TB }

var logMu sync.Mutex

func (w tWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	defer func() { _ = recover() }() // a log line after the test ended
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// send sends body from one name to an address, failing the test on error.
func (h *host) send(from, to, body string) spool.Receipt {
	h.t.Helper()
	rc, err := h.sp.Send(spool.Draft{From: from, To: []string{to}, Body: body})
	if err != nil {
		h.t.Fatalf("%s: send %s → %s: %v", h.name, from, to, err)
	}
	return rc
}

// mail returns every message in name's mailbox (new/ and cur/), without
// claiming any.
func (h *host) mail(name string) []*spool.Message {
	h.t.Helper()
	mb, err := h.sp.Mailbox(name)
	if err != nil {
		h.t.Fatal(err)
	}
	if !mb.Exists() {
		return nil
	}
	ms, err := mb.Check(spool.CheckOptions{Peek: true, All: true})
	if err != nil {
		h.t.Fatalf("%s: read %s: %v", h.name, name, err)
	}
	return ms
}

// waitCount waits until name's mailbox holds want messages and checks that
// no Message-ID is there twice.
func (h *host) waitCount(name string, want int, within time.Duration) []*spool.Message {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ms := h.mail(name)
		if len(ms) >= want || time.Now().After(deadline) {
			ids := map[string]int{}
			for _, m := range ms {
				ids[m.ID]++
			}
			for id, n := range ids {
				if n > 1 {
					h.t.Errorf("%s: message %s is in %s %d times", h.name, id, name, n)
				}
			}
			if len(ms) != want {
				st := h.status()
				h.t.Fatalf("%s: %s has %d messages, want %d (bridge status %+v)", h.name, name, len(ms), want, st)
			}
			return ms
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *host) status() Status {
	st, _, _ := ReadStatus(h.sp)
	return st
}

// waitFor polls cond until it holds or within passes.
func waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustRegister(t testing.TB, sp *spool.Spool, name string) *spool.Owner {
	t.Helper()
	o, err := sp.Claim(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Release() })
	return o
}

// server_Options is the embedded server's options, for table tests.
type server_Options = server.Options

// usersFor returns one user per host, password "pw-HOST", with the
// permissions Permissions documents, and "admin" who may do anything.
func usersFor(hosts ...string) []*server.User {
	users := []*server.User{{Username: "admin", Password: "pw-admin"}}
	for _, h := range hosts {
		pub, sub := Permissions(h)
		users = append(users, &server.User{Username: h, Password: "pw-" + h, Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: pub},
			Subscribe: &server.SubjectPermission{Allow: sub},
		}})
	}
	return users
}

// userURL puts host's user and password into url.
func userURL(url, host string) string {
	return strings.Replace(url, "nats://", "nats://"+host+":pw-"+host+"@", 1)
}

// connectJS connects to url and returns its JetStream.
func connectJS(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func createStream(t *testing.T, js jetstream.JetStream, name string, subjects []string) {
	t.Helper()
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: subjects}); err != nil {
		t.Fatal(err)
	}
}

func createKV(t *testing.T, js jetstream.JetStream, bucket string, ttl time.Duration) {
	t.Helper()
	if _, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: bucket, TTL: ttl}); err != nil {
		t.Fatal(err)
	}
}
