package bench

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// rssSettle is how long a process must use no processor time before its
// memory is read, and rssLimit how long it may take to get there.
const (
	rssSettle = 500 * time.Millisecond
	rssLimit  = 20 * time.Second
)

// rss measures the peak resident memory of "ipc mcp" and "ipc daemon",
// idle on an empty spool and on the spool of big mailboxes (the server
// registered as the biggest unread mailbox), against ipc-bare holding a
// listing of the same new/.
func (e *env) rss() []Figure {
	idle := filepath.Join(e.dir, "rss")
	err := openSpool(idle)
	if err == nil {
		err = maildir(filepath.Join(idle, "mail", "idle"))
	}
	if err != nil {
		return []Figure{failed("rss", "setup", err)}
	}
	out := e.rssOf(idle, "idle", "idle, an empty spool")
	f, err := e.fixtures()
	if err != nil {
		return append(out, failed("rss", "big mailboxes", err))
	}
	box := f.unread[len(f.unread)-1]
	return append(out, e.rssOf(f.root, box, fmt.Sprintf("%s unread (spool: %s)", count(box[1:]), f.summary()))...)
}

// rssOf measures an "ipc mcp" registered as box and an "ipc daemon" on
// the spool at root.
func (e *env) rssOf(root, box, what string) []Figure {
	r := e.runner(root)
	bare, err := peakOf(r.command(r.bare, "hold", filepath.Join(root, "mail", box, "new")), nil)
	if err != nil {
		return []Figure{failed("rss", what, err)}
	}
	return []Figure{e.mcpRSS(r, box, "ipc mcp, "+what, bare), e.daemonRSS(r, "ipc daemon, "+what, bare)}
}

// summary names the fixture mailboxes.
func (f *fixtures) summary() string {
	s := ""
	for _, n := range f.unread {
		s += count(n[1:]) + " unread, "
	}
	return s + count(f.read[1:]) + " read"
}

// rssFigure makes the Figure of a peak RSS beside the bare one, in MiB.
// idle is how long after its start the process stopped using the
// processor (its start-up and catch-up done); 0: it had not after
// rssLimit.
func rssFigure(name string, ipc, bare int64, idle time.Duration) Figure {
	const mib = 1 << 20
	f := Figure{Group: "rss", Name: name, Unit: "MiB", IPC: float64(ipc) / mib, Bare: float64(bare) / mib,
		Ratio: ratio(float64(ipc), float64(bare)), Yard: "peak RSS of ipc-bare holding a listing of the mailbox's new/"}
	f.Note = fmt.Sprintf("idle %.2f s after start", idle.Seconds())
	if idle == 0 {
		f.Note = fmt.Sprintf("still busy after %s", rssLimit)
	}
	return f
}

// settleFrom waits for pid to be idle and returns how long after start
// it became so (0 if it did not within rssLimit).
func settleFrom(pid int, start time.Time) time.Duration {
	if !settle(pid, rssSettle, rssLimit) {
		return 0
	}
	return time.Since(start) - rssSettle
}

func (e *env) mcpRSS(r *runner, box, name string, bare int64) Figure {
	start := time.Now()
	m, err := r.startMCP(box, nil)
	if err != nil {
		return failed("rss", name, err)
	}
	defer m.close()
	idle := settleFrom(m.pid(), start)
	peak, err := peakRSS(m.pid())
	if err != nil {
		return failed("rss", name, err)
	}
	return rssFigure(name, peak, bare, idle)
}

func (e *env) daemonRSS(r *runner, name string, bare int64) Figure {
	var idle time.Duration
	peak, err := peakOf(r.command(r.ipc, "daemon"), &idle)
	if err != nil {
		return failed("rss", name, err)
	}
	return rssFigure(name, peak, bare, idle)
}

// peakOf starts cmd with a pipe for standard input, waits until it has
// used no processor time for rssSettle (setting *idle, when not nil, to
// how long after its start that was), reads its peak RSS, then stops it.
func peakOf(cmd *exec.Cmd, idle *time.Duration) (int64, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer stop(cmd, in)
	d := settleFrom(cmd.Process.Pid, start)
	if idle != nil {
		*idle = d
	}
	return peakRSS(cmd.Process.Pid)
}

// stop ends a process the bench started: input closed, an interrupt,
// then a kill if it has not ended within five seconds.
func stop(cmd *exec.Cmd, in io.Closer) {
	in.Close()
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}
