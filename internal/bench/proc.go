package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// procWait bounds a single process a figure runs: a run that takes
// longer is reported as not measured, not waited for.
const procWait = 60 * time.Second

// runner starts the processes of a run: ipc and ipc-bare with the
// environment of one spool.
type runner struct {
	ipc, bare string
	env       []string
}

// newRunner returns a runner whose processes use the spool at home and
// nothing of the caller's ipc settings.
func newRunner(ipc, bare, home string) *runner {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "IPC_") && !strings.HasPrefix(k, "CLAUDE") {
			env = append(env, kv)
		}
	}
	return &runner{ipc: ipc, bare: bare, env: append(env, "IPC_HOME="+home, "NO_COLOR=1")}
}

// command makes an exec.Cmd of prog with the runner's environment.
func (r *runner) command(prog string, args ...string) *exec.Cmd {
	return r.commandContext(context.Background(), prog, args...)
}

// commandContext is command, killed when ctx ends.
func (r *runner) commandContext(ctx context.Context, prog string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = r.env
	return cmd
}

// run runs prog to its end with stdin (may be ""), and returns how long
// it took. An exit code in okCodes besides 0 is not an error.
func (r *runner) run(stdin, prog string, args []string, okCodes ...int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), procWait)
	defer cancel()
	cmd := r.commandContext(ctx, prog, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		for _, c := range okCodes {
			if exit.ExitCode() == c {
				return d, nil
			}
		}
	}
	if ctx.Err() != nil {
		return d, fmt.Errorf("%s %s: still running after %s", prog, strings.Join(args, " "), procWait)
	}
	if err != nil {
		return d, fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return d, nil
}

// watching reports whether process pid has an inotify watch on dir
// (Linux's /proc says so); where /proc cannot tell it waits a moment
// and says yes.
func watching(pid int, dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	ino, _, err := platform.FileID(f)
	f.Close()
	fds, ferr := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil || ferr != nil {
		time.Sleep(500 * time.Millisecond)
		return true
	}
	want := fmt.Sprintf(" ino:%x ", ino)
	for _, fd := range fds {
		if link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); link != "anon_inode:inotify" {
			continue
		}
		if info, _ := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name())); bytes.Contains(info, []byte(want)) {
			return true
		}
	}
	return false
}

// awaitWatching waits until pid watches dir, for at most limit.
func awaitWatching(pid int, dir string, limit time.Duration) error {
	end := time.Now().Add(limit)
	for !watching(pid, dir) {
		if time.Now().After(end) {
			return fmt.Errorf("process %d does not watch %s after %s", pid, dir, limit)
		}
		time.Sleep(200 * time.Microsecond)
	}
	return nil
}

// peakRSS returns the most memory process pid has held resident
// (VmHWM in Linux's /proc/PID/status), in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w (needs Linux /proc)", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("peak RSS: no VmHWM in /proc/%d/status", pid)
}

// cpuTicks returns the processor time process pid has used so far, in
// clock ticks (Linux's /proc/PID/stat).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14, 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu ticks: short /proc/%d/stat", pid)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, nil
}

// settle waits until process pid has used no processor time for quiet,
// for at most limit, and reports whether it settled.
func settle(pid int, quiet, limit time.Duration) bool {
	end := time.Now().Add(limit)
	last, err := cpuTicks(pid)
	if err != nil {
		time.Sleep(quiet)
		return true
	}
	since := time.Now()
	for time.Now().Before(end) {
		time.Sleep(50 * time.Millisecond)
		t, err := cpuTicks(pid)
		if err != nil {
			return false
		}
		if t != last {
			last, since = t, time.Now()
			continue
		}
		if time.Since(since) >= quiet {
			return true
		}
	}
	return false
}

// output runs prog to its end and keeps its standard output in out.
func (r *runner) output(out *[]byte, prog string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), procWait)
	defer cancel()
	cmd := r.commandContext(ctx, prog, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	b, err := cmd.Output()
	d := time.Since(start)
	*out = b
	if ctx.Err() != nil {
		return d, fmt.Errorf("%s %s: still running after %s", prog, strings.Join(args, " "), procWait)
	}
	if err != nil {
		return d, fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return d, nil
}
