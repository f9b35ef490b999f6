package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
	"github.com/claude-ipc/ipc/spool"
)

// sendBody is the text of every message the send figures send.
const sendBody = "build finished: all green"

// sendWorld is a spool whose mailbox bob receives the sends, and a bare
// Maildir beside it for the bare writes.
type sendWorld struct {
	*env
	root, bare string
	r          *runner
	data       []byte // what a bare write writes: an ipc message's bytes
}

// sends measures durable sends into one mailbox: through the spool API,
// as "ipc send" processes and through "ipc mcp" servers, by 1, 8 and 32
// senders at once; and how the bare write itself scales with writers.
func (e *env) sends() []Figure {
	w, err := e.newSendWorld()
	if err != nil {
		return []Figure{failed("send", "setup", err)}
	}
	var out []Figure
	for _, n := range []int{1, 8, 32} {
		out = append(out, w.apiSends(n))
	}
	for _, n := range []int{8, 32} {
		out = append(out, w.bareSends(n))
	}
	for _, n := range []int{1, 8, 32} {
		out = append(out, w.processSends(n))
	}
	for _, n := range []int{1, 8, 32} {
		out = append(out, w.mcpSends(n))
	}
	return out
}

func (e *env) newSendWorld() (*sendWorld, error) {
	w := &sendWorld{env: e, root: filepath.Join(e.dir, "send", "spool"), bare: filepath.Join(e.dir, "send", "bare")}
	if err := openSpool(w.root); err != nil {
		return nil, err
	}
	w.r = e.runner(w.root)
	if _, err := w.r.run("", w.r.ipc, []string{"--as", "bob", "register", "bob"}); err != nil {
		return nil, err
	}
	if err := maildir(w.bare); err != nil {
		return nil, err
	}
	// The bare writes write what a send delivers: one message's bytes.
	sp, err := spool.Open(w.root)
	if err != nil {
		return nil, err
	}
	rc, err := sp.Send(spool.Draft{From: "alice", To: []string{"bob"}, Body: sendBody})
	if err != nil {
		return nil, err
	}
	if w.data, err = os.ReadFile(rc.Delivered[0].Path); err != nil {
		return nil, err
	}
	return w, w.reset()
}

// reset empties bob's new/ and the bare new/ between turns, so no turn
// sends into a fuller mailbox than another.
func (w *sendWorld) reset() error {
	if err := emptyDir(filepath.Join(w.root, "mail", "bob", "new")); err != nil {
		return err
	}
	return emptyDir(filepath.Join(w.bare, "new"))
}

// bareWriters is the bare durable write of the send's bytes by n writers.
func (w *sendWorld) bareWriters(n int) work {
	return workers(n, func(_ int, seq int64) error {
		return bareop.Deliver(w.bare, fmt.Sprintf("%d.bare", seq), w.data)
	})
}

const bareSendYard = "write+fsync+rename+fsync, 1 writer, in process"

// apiSends is Spool.Send from n goroutines, each with its own Spool as
// separate processes would have, against one bare writer.
func (w *sendWorld) apiSends(n int) Figure {
	name := fmt.Sprintf("spool API, %d sender%s", n, plural(n))
	sps := make([]*spool.Spool, n)
	for i := range sps {
		var err error
		if sps[i], err = spool.Open(w.root); err != nil {
			return failed("send", name, err)
		}
	}
	api := workers(n, func(k int, _ int64) error {
		_, err := sps[k].Send(spool.Draft{From: fmt.Sprintf("s%d", k), To: []string{"bob"}, Body: sendBody})
		return err
	})
	c, err := rates(w.pace, w.bareWriters(1), api, w.reset)
	if err != nil {
		return failed("send", name, err)
	}
	return c.figure("send", name, bareSendYard)
}

// bareSends is n bare writers at once against one: how far the disk
// itself scales.
func (w *sendWorld) bareSends(n int) Figure {
	name := fmt.Sprintf("bare, %d writers", n)
	c, err := rates(w.pace, w.bareWriters(1), w.bareWriters(n), w.reset)
	if err != nil {
		return failed("send", name, err)
	}
	return c.figure("send", name, bareSendYard)
}

// processSends is one "ipc send" process a message, n at a time, against
// the minimal Go program doing the same file work in as many processes.
func (w *sendWorld) processSends(n int) Figure {
	name := fmt.Sprintf("ipc send processes, %d at once", n)
	ipc := workers(n, func(k int, _ int64) error {
		_, err := w.r.run("", w.r.ipc, []string{"--as", fmt.Sprintf("s%d", k), "send", "bob", sendBody})
		return err
	})
	bare := workers(n, func(_ int, seq int64) error {
		_, err := w.r.run("", w.r.bare, []string{"deliver", w.bare, fmt.Sprintf("%d.bare", seq)})
		return err
	})
	c, err := rates(w.pace, bare, ipc, w.reset)
	if err != nil {
		return failed("send", name, err)
	}
	return c.figure("send", name, fmt.Sprintf("ipc-bare deliver processes, %d at once", n))
}

// mcpSends is the send tool of n "ipc mcp" servers, each called by its
// own stdio client, against one bare writer.
func (w *sendWorld) mcpSends(n int) Figure {
	name := fmt.Sprintf("ipc mcp over stdio, %d client%s", n, plural(n))
	clients, err := w.startMCPs(n)
	defer closeAll(clients)
	if err != nil {
		return failed("send", name, err)
	}
	ipc := workers(n, func(k int, _ int64) error {
		_, err := clients[k].call("send", map[string]any{"from_id": clients[k].name, "to_id": "bob", "content": sendBody})
		return err
	})
	c, err := rates(w.pace, w.bareWriters(1), ipc, w.reset)
	if err != nil {
		return failed("send", name, err)
	}
	return c.figure("send", name, bareSendYard)
}

// startMCPs starts n servers m0..m(n-1) at once and waits until they are
// idle.
func (w *sendWorld) startMCPs(n int) ([]*mcpClient, error) {
	clients := make([]*mcpClient, n)
	errs := make(chan error, n)
	for k := range n {
		go func() {
			var err error
			clients[k], err = w.r.startMCP(fmt.Sprintf("m%d", k), nil)
			errs <- err
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	var started []*mcpClient
	for _, c := range clients {
		if c != nil {
			started = append(started, c)
		}
	}
	if first != nil {
		return started, first
	}
	settleAll(started)
	return started, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// settleAll waits until every server has been idle a moment (done
// becoming leader, catching up), all at once.
func settleAll(ms []*mcpClient) {
	done := make(chan struct{}, len(ms))
	for _, m := range ms {
		go func() { settle(m.pid(), 200*time.Millisecond, 5*time.Second); done <- struct{}{} }()
	}
	for range ms {
		<-done
	}
}
