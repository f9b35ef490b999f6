package share

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// MaxCapture is how much of each of stdout and stderr a shared command
// keeps; the rest is counted and dropped.
const MaxCapture = 64 << 10

// DefaultTimeout is how long a shared command may run, as in the original tool.
const DefaultTimeout = 30 * time.Second

// Output keeps the first MaxCapture bytes written to it and counts the
// rest. It never refuses a write, so a chatty command is never blocked.
type Output struct {
	max   int
	buf   []byte
	total int64
}

// Write keeps what fits and counts everything.
func (b *Output) Write(p []byte) (int, error) {
	b.total += int64(len(p))
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// String returns what was kept.
func (b *Output) String() string { return string(b.buf) }

// Total returns how many bytes were written, kept or not.
func (b *Output) Total() int64 { return b.total }

// Truncated reports whether output was dropped.
func (b *Output) Truncated() bool { return b.total > int64(len(b.buf)) }

// Result is what a command did.
type Result struct {
	Line     string        // the command as given, or its words quoted for a shell
	Argv     []string      // the words run
	Timeout  time.Duration // the time limit it ran under
	Stdout   Output
	Stderr   Output
	ExitCode int  // as a shell gives it: 128+N when killed by signal N
	TimedOut bool // killed at the time limit
}

// Command splits command into words (see SplitWords) and returns its argv
// with the line to show for it. A single argument is split; several are
// taken as the words already split.
func Command(args []string) (line string, argv []string, err error) {
	switch len(args) {
	case 0:
		return "", nil, errors.New("command: nothing to run")
	case 1:
		line = args[0]
		if argv, err = SplitWords(args[0]); err != nil {
			return "", nil, fmt.Errorf("command: %w", err)
		}
	default:
		line, argv = JoinWords(args), args
	}
	if len(argv) == 0 || argv[0] == "" {
		return "", nil, errors.New("command: nothing to run")
	}
	return line, argv, nil
}

// ErrCancelled reports a command stopped because the caller's context was
// cancelled (a client gave up, the server shut down) rather than at its time
// limit: it did not run to the end and nothing should be shared.
var ErrCancelled = errors.New("command cancelled")

// drainAfterExit bounds how long output is still read once the command and
// its process group are gone: only a process that left the group (setsid)
// can still hold the pipes then.
const drainAfterExit = 100 * time.Millisecond

// RunCommand runs argv with stdin closed (reading /dev/null), in its own
// process group, and keeps the first MaxCapture bytes of each output. When
// the command ends, by itself or killed at the time limit, the whole group
// is killed: nothing it started in the background outlives it. It fails
// when the command cannot be started (not found, not executable), and with
// ErrCancelled when ctx is done before the command ends; a command that
// exits non-zero or times out is a Result like any other.
func RunCommand(ctx context.Context, line string, argv []string, timeout time.Duration) (*Result, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("command: nothing to run")
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := &Result{Line: line, Argv: argv, Timeout: timeout,
		Stdout: Output{max: MaxCapture}, Stderr: Output{max: MaxCapture}}
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	g := platform.NewGroup(c) // so a kill ends what the command started, too
	defer g.Close()
	c.Cancel = g.Kill
	drain, err := capture(c, &res.Stdout, &res.Stderr)
	if err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	if err := c.Start(); err != nil {
		drain(true)
		return nil, err
	}
	if err := g.Started(); err != nil {
		_ = c.Process.Kill()
		_ = c.Wait()
		drain(true)
		return nil, fmt.Errorf("command: %w", err)
	}
	// With *os.File outputs Wait returns as soon as the command exits; its
	// error only repeats what ProcessState says (a non-zero exit, a kill),
	// and without a state it is real.
	werr := c.Wait()
	_ = g.Kill() // what it left running
	drain(false)
	switch {
	case werr != nil && c.ProcessState == nil:
		return nil, werr
	case parent.Err() != nil:
		return nil, fmt.Errorf("%s: %w", argv[0], ErrCancelled)
	}
	res.TimedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	res.ExitCode = exitStatus(c.ProcessState)
	return res, nil
}

// capture gives c a pipe for each of stdout and stderr, copied into out and
// errOut. The returned drain closes the write ends held here and waits for
// the copies: until the pipes are empty and closed, or, past
// drainAfterExit, no longer (a process outside the group may hold them).
// drain(true) gives up at once, for a command that never started.
func capture(c *exec.Cmd, out, errOut io.Writer) (drain func(now bool), err error) {
	var readers, writers []*os.File
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	for range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(readers)
			closeAll(writers)
			return nil, err
		}
		readers, writers = append(readers, r), append(writers, w)
	}
	c.Stdout, c.Stderr = writers[0], writers[1]
	done := make(chan struct{}, 2)
	for i, dst := range []io.Writer{out, errOut} {
		go func() {
			_, _ = io.Copy(dst, readers[i])
			done <- struct{}{}
		}()
	}
	return func(now bool) {
		closeAll(writers) // the child has its own copies
		limit := time.Now()
		if !now {
			limit = limit.Add(drainAfterExit)
		}
		for _, r := range readers {
			_ = r.SetReadDeadline(limit)
		}
		<-done
		<-done
		closeAll(readers)
	}, nil
}

// exitStatus gives a finished process's status as a shell would: its exit
// code, or 128 plus the signal that killed it.
func exitStatus(ps interface{ Sys() any }) int {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return -1
	case ws.Signaled():
		return 128 + int(ws.Signal())
	default:
		return ws.ExitStatus()
	}
}

// Outcome says how the command ended: "exit 0", "timed out after 30s (killed)".
func (r *Result) Outcome() string {
	if r.TimedOut {
		return fmt.Sprintf("timed out after %s (killed)", r.Timeout)
	}
	return fmt.Sprintf("exit %d", r.ExitCode)
}

// CommandData is the data attached to a shared command's message.
type CommandData struct {
	Type        string `json:"type"` // "command"
	Command     string `json:"command"`
	ExitCode    int    `json:"exit_code"`
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr"`
	TimedOut    bool   `json:"timed_out"`
	Description string `json:"description"`
}

// Message returns the subject, body and data of the message that shares r:
// the subject "$ CMD: exit N", a body with the description, the command,
// how it ended and both outputs (saying where they were cut), and data
// {"type": "command", ...}.
func (r *Result) Message(description string) (subject, body string, data json.RawMessage) {
	data, _ = json.Marshal(CommandData{Type: "command", Command: r.Line, ExitCode: r.ExitCode,
		Stdout: r.Stdout.String(), Stderr: r.Stderr.String(), TimedOut: r.TimedOut, Description: description})
	return r.subject(), r.body(description), data
}

// subject is "$ CMD: exit N", shortened.
func (r *Result) subject() string {
	s := "$ " + r.Line
	if r.TimedOut {
		s += ": timed out"
	} else {
		s += fmt.Sprintf(": exit %d", r.ExitCode)
	}
	if rs := []rune(s); len(rs) > 72 {
		s = string(rs[:71]) + "…"
	}
	return s
}

// body is the text of a shared command's message.
func (r *Result) body(description string) string {
	var b strings.Builder
	if description != "" {
		b.WriteString(description + "\n\n")
	}
	fmt.Fprintf(&b, "$ %s\n", r.Line)
	if r.TimedOut {
		fmt.Fprintf(&b, "timed out after %s (killed), exit code %d\n", r.Timeout, r.ExitCode)
	} else {
		fmt.Fprintf(&b, "exit code %d\n", r.ExitCode)
	}
	for _, s := range []struct {
		name string
		out  *Output
	}{{"stdout", &r.Stdout}, {"stderr", &r.Stderr}} {
		if s.out.total == 0 {
			fmt.Fprintf(&b, "\n--- %s (empty) ---\n", s.name)
			continue
		}
		fmt.Fprintf(&b, "\n--- %s ---\n%s", s.name, s.out.String())
		if !strings.HasSuffix(s.out.String(), "\n") {
			b.WriteString("\n")
		}
		if s.out.Truncated() {
			fmt.Fprintf(&b, "[%s truncated: %d bytes, the first %d shown]\n", s.name, s.out.total, len(s.out.buf))
		}
	}
	return b.String()
}
