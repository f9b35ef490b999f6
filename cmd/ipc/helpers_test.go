package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// ipcBin is the ipc command every process test runs. Under -cover (or
// with IPC_TEST_SELF=1) it is a copy named "ipc" of this test binary,
// which TestMain turns into the command itself: the processes then run
// with the race detector when the tests do, and their coverage counts in
// the package's (their counter files go to the test's coverage directory
// and share the test binary's metadata). Otherwise it is ipc built
// plainly: a race-enabled process takes about a second to start on a
// loaded machine, which would make 'go test -race ./...' several times
// slower.
var ipcBin string

// holdEnv, when set, makes the test binary claim the name it holds and
// sleep: a second live process holding a name, for tests that need one.
const holdEnv = "IPC_TEST_HOLD"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "ipc" { // run through ipcBin
		main() // exits
	}
	if name := os.Getenv(holdEnv); name != "" {
		os.Exit(hold(name))
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "ipc-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code, err := runAsIPC(m, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// runAsIPC puts the ipc command in dir (see ipcBin), points the
// processes' coverage output where the test's goes, and runs the tests.
func runAsIPC(m *testing.M, dir string) (int, error) {
	ipcBin = filepath.Join(dir, "ipc")
	if testing.CoverMode() == "" && os.Getenv("IPC_TEST_SELF") != "1" {
		build := exec.Command(goTool(), "build", "-o", ipcBin, "github.com/claude-ipc/ipc/cmd/ipc")
		if out, err := build.CombinedOutput(); err != nil {
			return 1, fmt.Errorf("build ipc: %v\n%s", err, out)
		}
		return m.Run(), nil
	}
	self, err := os.Executable()
	if err != nil {
		return 1, err
	}
	// A copy, not a link: tests run it as another user, who cannot reach
	// the go command's build directory.
	if err := copyFile(self, ipcBin); err != nil {
		return 1, err
	}
	if testing.CoverMode() != "" {
		// Without GOCOVERDIR a covered binary warns on stderr at exit.
		covdir := flag.Lookup("test.gocoverdir").Value.String()
		if covdir == "" {
			covdir = filepath.Join(dir, "cover")
			if err := os.Mkdir(covdir, 0o700); err != nil {
				return 1, err
			}
		}
		os.Setenv("GOCOVERDIR", covdir)
	}
	return m.Run(), nil
}

// goTool finds the go command that runs these tests.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

// hold claims name in the spool at $IPC_HOME, says "held PID" on stdout
// and keeps the claim until stdin closes or the process is killed.
func hold(name string) int {
	sp, err := spool.Open(os.Getenv("IPC_HOME"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 4
	}
	o, err := sp.Claim(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Printf("held %d\n", os.Getpid())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the test lets go
	o.Release()
	return 0
}

// world is one spool and the environment the ipc processes of a test run in.
type world struct {
	t    *testing.T
	home string               // the spool root
	env  []string             // the environment of every process
	sys  *syscall.SysProcAttr // how every process starts (as another user, say); nil: as the test
}

// newWorld makes an empty environment (no IPC_* from the caller's) around
// a spool path that does not exist yet.
func newWorld(t *testing.T) *world {
	t.Helper()
	base := t.TempDir()
	w := &world{t: t, home: filepath.Join(base, "spool")}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "IPC_") && k != "HOME" && k != "NO_COLOR" && k != "LC_ALL" {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "IPC_HOME="+w.home, "HOME="+base, "NO_COLOR=1", "LC_ALL=C.UTF-8")
	return w
}

// with returns a copy of w whose processes also get the variables kv.
func (w *world) with(kv ...string) *world {
	c := *w
	c.env = append(append([]string(nil), w.env...), kv...)
	return &c
}

// result is what one ipc process did.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// run runs ipc with args and no stdin.
func (w *world) run(args ...string) result { return w.runIn("", args...) }

// runIn runs ipc with args, stdin holding in.
func (w *world) runIn(in string, args ...string) result {
	w.t.Helper()
	cmd := exec.Command(ipcBin, args...)
	cmd.Env, cmd.SysProcAttr = w.env, w.sys
	cmd.Stdin = strings.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{out: out.String(), err: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		w.t.Fatalf("run ipc %q: %v", args, err)
	}
	return r
}

// ok runs ipc and fails the test unless it exits 0.
func (w *world) ok(args ...string) result {
	w.t.Helper()
	r := w.run(args...)
	if r.code != 0 {
		w.t.Fatalf("ipc %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// okIn is ok with stdin.
func (w *world) okIn(in string, args ...string) result {
	w.t.Helper()
	r := w.runIn(in, args...)
	if r.code != 0 {
		w.t.Fatalf("ipc %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// fails runs ipc, expecting exit code want and stderr holding each of
// the strings in has; stderr must be one error line (plus, for usage
// errors, the standard pointer to --help).
func (w *world) fails(want int, has []string, args ...string) result {
	w.t.Helper()
	r := w.run(args...)
	if r.code != want {
		w.t.Fatalf("ipc %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	checkOneLine(w.t, r.err)
	for _, s := range has {
		if !strings.Contains(r.err, s) {
			w.t.Errorf("ipc %s: stderr lacks %q: %q", strings.Join(args, " "), s, r.err)
		}
	}
	return r
}

// checkOneLine checks that stderr is a single "ipc: " error line.
func checkOneLine(t *testing.T, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "ipc: ") {
		t.Errorf("stderr is not one 'ipc: ' line: %q", stderr)
	}
}

// checkJSON runs ipc --json and decodes its stdout into v.
func (w *world) checkJSON(v any, args ...string) {
	w.t.Helper()
	r := w.ok(append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(r.out), v); err != nil {
		w.t.Fatalf("ipc --json %s: %v\n%s", strings.Join(args, " "), err, r.out)
	}
}

// messages runs "ipc --as name check --json" (plus extra flags).
func (w *world) messages(name string, extra ...string) []spool.Message {
	w.t.Helper()
	var msgs []spool.Message
	w.checkJSON(&msgs, append([]string{"--as", name, "check"}, extra...)...)
	return msgs
}

// openSpool opens the spool, creating it as the first writer would.
func (w *world) openSpool() *spool.Spool {
	w.t.Helper()
	sp, err := spool.Open(w.home)
	if err != nil {
		w.t.Fatal(err)
	}
	return sp
}

// mailDir returns the path of a mailbox's folder (new, cur or tmp).
func (w *world) mailDir(name, sub string) string {
	return filepath.Join(w.home, "mail", name, sub)
}

// filesIn lists the regular files in dir (none when it does not exist).
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

// allNew lists every file in every mailbox's new/.
func (w *world) allNew() []string {
	w.t.Helper()
	var out []string
	boxes, _ := filepath.Glob(filepath.Join(w.home, "mail", "*", "new"))
	for _, b := range boxes {
		out = append(out, filesIn(w.t, b)...)
	}
	return out
}

// onlyFile returns the one file in dir, failing unless there is exactly one.
func onlyFile(t *testing.T, dir string) string {
	t.Helper()
	fs := filesIn(t, dir)
	if len(fs) != 1 {
		t.Fatalf("%s holds %d files, want 1: %q", dir, len(fs), fs)
	}
	return fs[0]
}

// holder is another live process holding a name.
type holder struct {
	cmd *exec.Cmd
	pid int
}

// holdName starts a process that claims name and keeps it until killed.
func (w *world) holdName(name string) *holder {
	w.t.Helper()
	self, err := os.Executable()
	if err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(append([]string(nil), w.env...), holdEnv+"="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	h := &holder{cmd: cmd}
	w.t.Cleanup(func() { stdin.Close(); h.kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if _, serr := fmt.Sscanf(line, "held %d", &h.pid); err != nil || serr != nil {
		w.t.Fatalf("holder of %s did not start: %q %v", name, line, err)
	}
	return h
}

// kill ends the holder with SIGKILL, as a crash would, and reaps it.
func (h *holder) kill() {
	if h.cmd.ProcessState != nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	_ = h.cmd.Wait()
}

// need skips the test when a program it drives is not installed.
func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			testkit.SkipEnv(t, "%s is not installed (make test installs it): %v", p, err)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// copyFile copies the executable src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
