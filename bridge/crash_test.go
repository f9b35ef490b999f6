package bridge

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// TestMain lets the test binary run as a bridge process (see runChild),
// which the crash tests SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("IPC_BRIDGE_CHILD") != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild runs one bridge for the spool IPC_BRIDGE_CHILD until SIGTERM.
func runChild() int {
	sp, err := spool.Open(os.Getenv("IPC_BRIDGE_CHILD"), spool.WithConfig(noLimits()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	br, err := New(sp, fastConfig(os.Getenv("IPC_BRIDGE_URL"), os.Getenv("IPC_BRIDGE_HOST")), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := br.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func noLimits() spool.Config {
	c := spool.DefaultConfig()
	c.RatePerMinute = 0
	return c
}

// child is a bridge running in its own process.
type child struct {
	t   *testing.T
	h   *host
	url string
	cmd *exec.Cmd
}

func (c *child) start() {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "IPC_BRIDGE_CHILD="+c.h.sp.Root, "IPC_BRIDGE_URL="+c.url, "IPC_BRIDGE_HOST="+c.h.name)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.cmd = cmd
}

func (c *child) kill() {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
	c.cmd = nil
}

// TestSIGKILLedBridgesLoseAndDoubleNothing sends 300 messages each way while
// both bridges are SIGKILLed and restarted again and again, then counts.
func TestSIGKILLedBridgesLoseAndDoubleNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a crash loop of two processes")
	}
	const n = 300
	ns := startServer(t, nil)
	a := newHost(t, ns.url(), "hosta", noLimits())
	b := newHost(t, ns.url(), "hostb", noLimits())
	mustRegister(t, a.sp, "alice")
	mustRegister(t, b.sp, "bob")
	ca, cb := &child{t: t, h: a, url: ns.url()}, &child{t: t, h: b, url: ns.url()}
	t.Cleanup(ca.kill)
	t.Cleanup(cb.kill)

	sent := make(chan struct{})
	go func() { // the senders keep writing while the bridges die
		defer close(sent)
		for i := range n {
			a.send("alice", "bob@hostb", fmt.Sprintf("a→b %d", i))
			b.send("bob", "alice@hosta", fmt.Sprintf("b→a %d", i))
		}
	}()
	kills, midway := 0, 0
	total := func() int { return len(a.mail("alice")) + len(b.mail("bob")) }
	for kills < 12 && total() < 2*n {
		ca.start()
		cb.start()
		before := total()
		// Kill once mail is moving: a few milliseconds after the first new
		// delivery, while more waits on both sides.
		waitFor(t, "mail to move after a restart", 30*time.Second, func() bool { return total() > before })
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		ca.kill()
		cb.kill()
		kills++
		qa, _ := a.sp.RemoteQueued()
		qb, _ := b.sp.RemoteQueued()
		if qa > 0 && qb > 0 {
			midway++
		}
	}
	<-sent
	ca.start()
	cb.start()
	b.waitCount("bob", n, 60*time.Second)
	a.waitCount("alice", n, 60*time.Second)
	waitFor(t, "both queues empty", 30*time.Second, func() bool {
		qa, _ := a.sp.RemoteQueued()
		qb, _ := b.sp.RemoteQueued()
		return qa == 0 && qb == 0
	})
	t.Logf("%d SIGKILLs of both bridges, %d with mail in flight both ways", kills, midway)
	if midway == 0 {
		t.Error("no kill landed while mail was in flight: the test proved nothing")
	}
}
