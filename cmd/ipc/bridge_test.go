package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// natsProc is Debian's nats-server binary running JetStream on a loopback
// port with its store in a temporary directory.
type natsProc struct {
	t     *testing.T
	port  int
	store string
	conf  string   // a config file, when the test gives one
	env   []string // its environment (passwords the config names)
	cmd   *exec.Cmd
}

func startNATS(t *testing.T) *natsProc { return startNATSWith(t, "", nil) }

// startNATSWith runs the server with the authorization block auth (""
// for none) in its config file.
func startNATSWith(t *testing.T, auth string, env []string) *natsProc {
	t.Helper()
	need(t, "nats-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	n := &natsProc{t: t, port: port, store: t.TempDir(), env: env}
	if auth != "" {
		n.conf = filepath.Join(t.TempDir(), "nats.conf")
		conf := fmt.Sprintf("listen: \"127.0.0.1:%d\"\njetstream { store_dir: %q }\n%s\n", port, n.store, auth)
		if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n.start()
	t.Cleanup(n.kill)
	return n
}

func (n *natsProc) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *natsProc) start() {
	n.t.Helper()
	n.cmd = exec.Command("nats-server", "-js", "-a", "127.0.0.1", "-p", fmt.Sprint(n.port), "-sd", n.store)
	if n.conf != "" {
		n.cmd = exec.Command("nats-server", "-c", n.conf)
	}
	n.cmd.Env = append(os.Environ(), n.env...)
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("nats-server did not listen: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the server with SIGKILL, as a crash would.
func (n *natsProc) kill() {
	if n.cmd != nil {
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
		_ = n.cmd.Wait()
		n.cmd = nil
	}
}

// background is an ipc process left running (a daemon, a bridge).
type background struct {
	t    *testing.T
	w    *world
	args []string
	cmd  *exec.Cmd
	log  string
}

func (w *world) background(args ...string) *background {
	b := &background{t: w.t, w: w, args: args, log: filepath.Join(w.t.TempDir(), "log")}
	b.start()
	w.t.Cleanup(b.kill)
	return b
}

func (b *background) start() {
	b.t.Helper()
	f, err := os.OpenFile(b.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.t.Fatal(err)
	}
	defer f.Close()
	b.cmd = exec.Command(ipcBin, b.args...)
	b.cmd.Env, b.cmd.Stdout, b.cmd.Stderr = b.w.env, f, f
	if err := b.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
}

func (b *background) kill() {
	if b.cmd != nil {
		_ = b.cmd.Process.Signal(syscall.SIGKILL)
		_ = b.cmd.Wait()
		b.cmd = nil
	}
}

func (b *background) output() string {
	out, _ := os.ReadFile(b.log)
	return string(out)
}

// bodies returns the bodies of every message name has, read or not.
func (w *world) bodies(name string) []string {
	var out []string
	for _, m := range w.messages(name, "--peek", "--all") {
		out = append(out, strings.TrimSpace(m.Body))
	}
	return out
}

// waitBodies waits until name has want messages and checks none is there twice.
func (w *world) waitBodies(name string, want int, procs ...*background) []string {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := w.bodies(name)
		if len(got) >= want || time.Now().After(deadline) {
			seen := map[string]bool{}
			for _, b := range got {
				if seen[b] {
					w.t.Errorf("%q is in %s twice", b, name)
				}
				seen[b] = true
			}
			if len(got) != want {
				for _, p := range procs {
					w.t.Logf("log of ipc %v:\n%s", p.args, p.output())
				}
				w.t.Fatalf("%s has %d messages, want %d: %q", name, len(got), want, got)
			}
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBridgeThroughRealNATSServer runs two spools as two hosts through
// Debian's nats-server: the leader with --nats on one, ipc bridge on the
// other; both SIGKILLed, the server SIGKILLed and restarted, and every
// message counted.
func TestBridgeThroughRealNATSServer(t *testing.T) {
	ns := startNATS(t)
	a, b := newWorld(t), newWorld(t)
	da := a.background("daemon", "--nats", ns.url(), "--host", "hosta")
	db := b.background("bridge", "--nats", ns.url(), "--host", "hostb")
	procs := []*background{da, db}

	a.ok("--as", "alice", "send", "bob@hostb", "a→b 0")
	b.waitBodies("bob", 1, procs...)
	b.ok("--as", "bob", "send", "alice@hosta", "b→a 0")
	a.waitBodies("alice", 1, procs...)

	// Both see the other's names.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(a.ok("list").out, "bob@hostb") {
		if time.Now().After(deadline) {
			t.Fatalf("ipc list on hosta never showed bob@hostb:\n%s", a.ok("list").out)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Kill both bridges; mail written meanwhile waits on disk.
	da.kill()
	db.kill()
	for i := 1; i <= 10; i++ {
		a.ok("--as", "alice", "send", "bob@hostb", fmt.Sprintf("a→b %d", i))
		b.ok("--as", "bob", "send", "alice@hosta", fmt.Sprintf("b→a %d", i))
	}
	var st struct {
		Bridge struct {
			Queued  int    `json:"queued"`
			Running bool   `json:"running"`
			Error   string `json:"error"`
		} `json:"bridge"`
	}
	a.checkJSON(&st, "status")
	if st.Bridge.Queued != 10 || st.Bridge.Running {
		t.Errorf("status with the bridge killed: %+v; want 10 queued, not running", st.Bridge)
	}
	da.start()
	db.start()
	// The server dies and comes back with its store while mail flows.
	for i := 11; i <= 20; i++ {
		a.ok("--as", "alice", "send", "bob@hostb", fmt.Sprintf("a→b %d", i))
		b.ok("--as", "bob", "send", "alice@hosta", fmt.Sprintf("b→a %d", i))
		if i == 15 {
			ns.kill()
			ns.start()
		}
	}
	b.waitBodies("bob", 21, procs...)
	a.waitBodies("alice", 21, procs...)

	// The server gone: status says why mail waits, local mail goes on.
	ns.kill()
	a.ok("--as", "alice", "send", "bob@hostb", "during the outage")
	a.ok("--as", "alice", "send", "carol", "local")
	deadline = time.Now().Add(30 * time.Second)
	for {
		a.checkJSON(&st, "status")
		if st.Bridge.Queued == 1 && strings.Contains(st.Bridge.Error, "unreachable") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status during the outage: %+v", st.Bridge)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out := a.ok("status").out; !strings.Contains(out, "1 message waiting for other hosts") {
		t.Errorf("ipc status does not say what waits:\n%s", out)
	}
	if got := a.bodies("carol"); len(got) != 1 {
		t.Errorf("local mail during the outage: %q", got)
	}
	ns.start()
	b.waitBodies("bob", 22, procs...)
	var js []json.RawMessage
	b.checkJSON(&js, "list")
	if !strings.Contains(fmt.Sprint(string(js[len(js)-1])), "@hosta") {
		t.Errorf("ipc list --json on hostb lacks hosta's names: %s", js)
	}
}

// TestBridgePermissionsOnRealServer runs Debian's nats-server with the
// user entries 'ipc bridge --permissions' prints, one per host, and two
// bridges that log in with them: the documented permissions are enough
// for mail both ways, presence and the object store.
func TestBridgePermissionsOnRealServer(t *testing.T) {
	need(t, "nats-server")
	a, b := newWorld(t), newWorld(t)
	users := a.ok("bridge", "--permissions", "--host", "hosta").out + a.ok("bridge", "--permissions", "--host", "hostb").out
	ns := startNATSWith(t, "authorization { users = [\n"+users+"\n] }", []string{"HOSTA_PASSWORD=pa", "HOSTB_PASSWORD=pb"})
	url := func(user, pw string) string { return fmt.Sprintf("nats://%s:%s@127.0.0.1:%d", user, pw, ns.port) }
	pa := a.background("bridge", "--nats", url("hosta", "pa"), "--host", "hosta")
	pb := b.background("bridge", "--nats", url("hostb", "pb"), "--host", "hostb")
	a.ok("--as", "alice", "send", "bob@hostb", "through the permissions")
	a.okIn(strings.Repeat("a large body, carried by the object store\n", 600), "--as", "alice", "send", "bob@hostb", "-")
	b.ok("--as", "bob", "send", "alice@hosta", "and back")
	b.waitBodies("bob", 2, pa, pb)
	a.waitBodies("alice", 1, pa, pb)
	for _, p := range []*background{pa, pb} {
		if strings.Contains(p.output(), "iolation") {
			t.Errorf("a permission was refused:\n%s", p.output())
		}
	}
	// A host may not log in as another: hosta's password is not hostb's.
	r := a.run("bridge", "--nats", url("hostb", "pa"), "--host", "hostb")
	if r.code != 4 || !strings.Contains(r.err, "refused the credentials") || strings.Contains(r.err+r.out, ":pa@") {
		t.Errorf("logging in as hostb with hosta's password (want exit 4, the reason, no password shown):\n%s", r)
	}
}
