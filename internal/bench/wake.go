package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// wakeWait bounds how long a figure waits for one wake-up; quietWait is
// how long a burst's consumer may go without reporting anything before
// the rest counts as missed.
const (
	wakeWait  = 30 * time.Second
	quietWait = 5 * time.Second
)

// A wake-up's message n is named so that its id (the hex digits after R
// in the name, as ipc reads a file's id) is tokenBase+n: its number is in
// whatever a consumer reports of it (an MCP message_id, a line of
// output, the file name).
const tokenBase = 0xbe0000000000

var token = regexp.MustCompile(`be([0-9a-f]{10})`)

// numberIn returns the number of the message s reports.
func numberIn(s string) (int, bool) {
	m := token.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 16, 64)
	return int(n), err == nil
}

// wakeWorld is a spool with mailboxes that consumers wait on and a bare
// Maildir that ipc-bare watch watches.
type wakeWorld struct {
	*env
	root, bare string
	r          *runner
	seq        int
}

// arrival is one report of a consumer: which message and when.
type arrival struct {
	n  int
	at time.Time
}

// wakes measures how long mail takes from its rename into new/ to each
// consumer: ipc wait's output, the MCP notification, the waking hook's
// exit; one message at a time and under a burst; each beside a bare
// inotify watcher in its own process, measured turn about with it.
func (e *env) wakes() []Figure {
	w := &wakeWorld{env: e, root: filepath.Join(e.dir, "wake", "spool"), bare: filepath.Join(e.dir, "wake", "bare")}
	if err := openSpool(w.root); err != nil {
		return []Figure{failed("wake", "setup", err)}
	}
	if err := maildir(w.bare); err != nil {
		return []Figure{failed("wake", "setup", err)}
	}
	w.r = e.runner(w.root)
	// Only an inotify event may wake the consumers in time.
	w.r.env = append(w.r.env, "IPC_POLL_INTERVAL=1h")
	steps := []struct {
		name string
		run  func() []Figure
	}{
		{"idle wait", func() []Figure { return w.idle("ipc wait printed it", "wait", w.waitStart, false) }},
		{"idle mcp", w.idleMCP},
		{"idle hook", func() []Figure { return w.idle("wake hook exited", "hook", w.hookStart, true) }},
		{"burst mcp", w.burstMCP},
		{"burst watch", w.burstWatch},
		{"burst wait", func() []Figure {
			return []Figure{w.burstFirst("ipc wait printed", "bwait", false, w.waitStart)}
		}},
		{"burst hook", func() []Figure { return []Figure{w.burstFirst("wake hook exited", "bhook", true, w.hookStart)} }},
	}
	var out []Figure
	for _, s := range steps {
		t0 := time.Now()
		out = append(out, s.run()...)
		e.logf("  wake: %s in %.1f s", s.name, time.Since(t0).Seconds())
	}
	return out
}

// mailbox makes (plainly) and returns the Maildir of name.
func (w *wakeWorld) mailbox(name string) (string, error) {
	dir := filepath.Join(w.root, "mail", name)
	return dir, maildir(dir)
}

// prepare puts message n for dir into its tmp/, a hard link to one
// file (a link is as good as a write to every reader and costs no data),
// and returns where it is and where its rename puts it.
func prepare(dir string, n int) (tmp, dst string, err error) {
	data := dropIn(filepath.Base(dir), "build")
	src := filepath.Join(dir, "tmp", "source")
	if _, err := os.Lstat(src); err != nil {
		if err := os.WriteFile(src, data, 0o600); err != nil {
			return "", "", err
		}
		old := time.Now().Add(-time.Minute)
		if err := os.Chtimes(src, old, old); err != nil {
			return "", "", err
		}
	}
	name := mailName(time.Now(), tokenBase+n, "bench", len(data))
	tmp = filepath.Join(dir, "tmp", name)
	return tmp, filepath.Join(dir, "new", name), os.Link(src, tmp)
}

// startBare starts "ipc-bare watch" on the bare new/, the yardstick of
// every wake-up.
func (w *wakeWorld) startBare() (*consumer, error) {
	newDir := filepath.Join(w.bare, "new")
	return startWatching(w.r.command(w.r.bare, "watch", newDir), "", newDir)
}

// bareOnce delivers one message to the bare watcher's new/ and returns
// how long its report took from the rename.
func (w *wakeWorld) bareOnce(b *consumer) (time.Duration, error) {
	w.seq++
	start, err := deliver(w.bare, w.seq)
	if err != nil {
		return 0, err
	}
	return awaitArrival(b.arrived, w.seq, start)
}

// awaitArrival waits for message n on arrived and returns its latency.
func awaitArrival(arrived <-chan arrival, n int, start time.Time) (time.Duration, error) {
	timeout := time.After(wakeWait)
	for {
		select {
		case a := <-arrived:
			if a.n == n {
				return a.at.Sub(start), nil
			}
		case <-timeout:
			return 0, fmt.Errorf("message %d not reported after %s", n, wakeWait)
		}
	}
}

// idle measures one consumer, woken by one message at a time, turn about
// with the bare watcher.
func (w *wakeWorld) idle(what, box string, begin func(dir string) (*consumer, error), exits bool) []Figure {
	name := "rename → " + what + ", idle"
	dir, err := w.mailbox(box)
	if err != nil {
		return []Figure{failed("wake", name, err)}
	}
	b, err := w.startBare()
	if err != nil {
		return []Figure{failed("wake", name, err)}
	}
	defer b.end()
	bare, ipc, err := durations(w.scale.Samples/2, w.scale.Budget,
		func() (time.Duration, error) { return w.bareOnce(b) },
		func() (time.Duration, error) { w.seq++; return w.once(dir, w.seq, begin, exits) })
	if err != nil {
		return []Figure{failed("wake", name, err)}
	}
	return latencies("wake", name, ipc, bare, "rename → ipc-bare watch (inotify) printed it", "")
}

// once starts a consumer (ipc wait, the waking hook), lets it watch,
// delivers message n and returns how long it took from the rename to its
// output or, when it reports by exiting, to its exit.
func (w *wakeWorld) once(dir string, n int, begin func(dir string) (*consumer, error), exits bool) (time.Duration, error) {
	p, err := begin(dir)
	if err != nil {
		return 0, err
	}
	defer p.end()
	start, err := deliver(dir, n)
	if err != nil {
		return 0, err
	}
	if exits {
		return p.exited(start)
	}
	return awaitArrival(p.arrived, n, start)
}

// deliver writes message n into dir's tmp/ and renames it into new/,
// returning when the rename began.
func deliver(dir string, n int) (time.Time, error) {
	tmp, dst, err := prepare(dir, n)
	if err != nil {
		return time.Time{}, err
	}
	start := time.Now()
	return start, os.Rename(tmp, dst)
}

// consumer is a running process that reports mail on its output (ipc
// wait, ipc watch, ipc-bare watch) or by exiting (the waking hook).
type consumer struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	arrived chan arrival
	done    chan error
	doneAt  time.Time
}

// startConsumer starts "ipc --as BOX ARGS..." with stdin, and waits until
// it watches BOX's new/.
func (w *wakeWorld) startConsumer(dir, stdin string, args ...string) (*consumer, error) {
	cmd := w.r.command(w.r.ipc, append([]string{"--as", filepath.Base(dir)}, args...)...)
	return startWatching(cmd, stdin, filepath.Join(dir, "new"))
}

// startWatching starts cmd with stdin, reports every line of its output
// that names a message, and waits until it watches newDir.
func startWatching(cmd *exec.Cmd, stdin, newDir string) (*consumer, error) {
	c := &consumer{cmd: cmd, arrived: make(chan arrival, 1<<16), done: make(chan error, 1)}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	if stdin != "" {
		io.WriteString(c.in, stdin)
		c.in.Close()
	}
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			at := time.Now()
			if n, ok := numberIn(lines.Text()); ok {
				c.arrived <- arrival{n, at}
			}
		}
		err := c.cmd.Wait()
		c.doneAt = time.Now()
		c.done <- err
	}()
	if err := awaitWatching(c.cmd.Process.Pid, newDir, wakeWait); err != nil {
		c.end()
		return nil, err
	}
	return c, nil
}

// exited waits for the process to end and returns how long after start
// it did; the waking hook's exit 2 (wake the model) is its success.
func (c *consumer) exited(start time.Time) (time.Duration, error) {
	select {
	case err := <-c.done:
		c.done <- err
		if x, ok := err.(*exec.ExitError); ok && x.ExitCode() == 2 {
			return c.doneAt.Sub(start), nil
		}
		return 0, fmt.Errorf("%s: exit %v, want 2", c.cmd, err)
	case <-time.After(wakeWait):
		return 0, fmt.Errorf("%s did not exit within %s", c.cmd, wakeWait)
	}
}

// end stops the process if it still runs and waits for it.
func (c *consumer) end() {
	select {
	case err := <-c.done:
		c.done <- err
		return
	default:
	}
	c.in.Close()
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-c.done:
		c.done <- err
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		c.done <- <-c.done
	}
}

func (w *wakeWorld) waitStart(dir string) (*consumer, error) {
	return w.startConsumer(dir, "", "wait", "--timeout", "60s")
}

func (w *wakeWorld) hookStart(dir string) (*consumer, error) {
	return w.startConsumer(dir, `{"session_id":"bench","hook_event_name":"Stop"}`, "hook", "Stop", "--wake", "--for", "60s")
}

func (w *wakeWorld) watchStart(dir string) (*consumer, error) {
	return w.startConsumer(dir, "", "watch")
}

// mcpArrivals returns a notification handler that reports channel events
// by the number in their subject, and a count of the other channel events
// (backlog notices).
func mcpArrivals() (chan arrival, func(mcpgo.JSONRPCNotification), func() int) {
	arrived := make(chan arrival, 1<<16)
	var mu sync.Mutex
	other := 0
	return arrived, func(n mcpgo.JSONRPCNotification) {
			at := time.Now()
			if n.Method != channelMethod {
				return
			}
			if k, ok := numberIn(messageID(n)); ok {
				arrived <- arrival{k, at}
				return
			}
			mu.Lock()
			other++
			mu.Unlock()
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return other
		}
}

// idleMCP measures the channel notification of an "ipc mcp" registered
// as the mailbox, one message at a time.
func (w *wakeWorld) idleMCP() []Figure {
	name := "rename → MCP notification, idle"
	dir, err := w.mailbox("mcp")
	if err != nil {
		return []Figure{failed("wake", name, err)}
	}
	arrived, notify, _ := mcpArrivals()
	m, err := w.r.startMCP("mcp", notify)
	if err != nil {
		return []Figure{failed("wake", name, err)}
	}
	defer m.close()
	if err := awaitWatching(m.pid(), filepath.Join(dir, "new"), wakeWait); err != nil {
		return []Figure{failed("wake", name, err)}
	}
	settle(m.pid(), 300*time.Millisecond, 10*time.Second)
	b, err := w.startBare()
	if err != nil {
		return []Figure{failed("wake", name, err)}
	}
	defer b.end()
	bare, ipc, err := durations(w.scale.Samples, w.scale.Budget,
		func() (time.Duration, error) { return w.bareOnce(b) },
		func() (time.Duration, error) {
			w.seq++
			n := w.seq
			start, err := deliver(dir, n)
			if err != nil {
				return 0, err
			}
			return awaitArrival(arrived, n, start)
		})
	if err != nil {
		return []Figure{failed("wake", name, err)}
	}
	return latencies("wake", name, ipc, bare, "rename → ipc-bare watch (inotify) printed it", "")
}
