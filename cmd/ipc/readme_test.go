//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// The README marks its tour for this test. A fenced block whose info
// string is "console tour" is run: each "$ " line is a command for sh,
// the lines below it, up to the next "$ ", what it prints (stdout and
// stderr together, as a terminal shows them). In a "console tour-bg"
// block the last command keeps running, as in a second terminal; a later
// "console tour-output" block is what that terminal shows next, and the
// comment "<!-- tour: ctrl-c -->" stops it as Ctrl-C does. Every other
// block, and the README's other sections, are left alone.
const (
	tourRun       = "console tour"
	tourBG        = "console tour-bg"
	tourOutput    = "console tour-output"
	tourInterrupt = "<!-- tour: ctrl-c -->"
)

// tourStep is one marked block (or the Ctrl-C comment) of the README.
type tourStep struct {
	kind string // tourRun, tourBG, tourOutput or tourInterrupt
	line int    // where it starts in README.md
	cmds []tourCmd
	want []string // tourOutput: the lines shown
}

// tourCmd is one "$ " line and the output shown under it.
type tourCmd struct {
	line int
	sh   string
	want []string
}

// readTour returns the tour's steps in the README's order.
func readTour(t *testing.T) []tourStep {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []tourStep
	var cur *tourStep
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == tourInterrupt:
			steps = append(steps, tourStep{kind: tourInterrupt, line: n})
		case cur == nil && strings.HasPrefix(line, "```"):
			info := strings.TrimSpace(strings.TrimPrefix(line, "```"))
			if info == tourRun || info == tourBG || info == tourOutput {
				cur = &tourStep{kind: info, line: n}
			}
		case cur != nil && line == "```":
			steps = append(steps, *cur)
			cur = nil
		case cur != nil && cur.kind == tourOutput:
			cur.want = append(cur.want, line)
		case cur != nil && strings.HasPrefix(line, "$ "):
			cur.cmds = append(cur.cmds, tourCmd{line: n, sh: strings.TrimPrefix(line, "$ ")})
		case cur != nil && len(cur.cmds) > 0:
			c := &cur.cmds[len(cur.cmds)-1]
			c.want = append(c.want, line)
		case cur != nil:
			t.Fatalf("README.md:%d: a tour block must start with a \"$ \" command: %q", n, line)
		}
	}
	if cur != nil {
		t.Fatalf("README.md:%d: tour block not closed", cur.line)
	}
	if len(steps) == 0 {
		t.Fatal("README.md marks no tour")
	}
	return steps
}

// tourIDs pairs the ids the README shows with the ones this run printed,
// in the order they first appear, so that a later command given an id
// (or its prefix) the README printed gets the one this run printed.
type tourIDs struct{ readme, real []string }

var tourIDRE = regexp.MustCompile(`\b[0-9a-f]{12}\b`)

// learn pairs the ids of a README line with those of the line printed.
func (ids *tourIDs) learn(readme, real string) {
	add := func(list *[]string, s string) {
		for _, id := range tourIDRE.FindAllString(s, -1) {
			if !contains(*list, id) {
				*list = append(*list, id)
			}
		}
	}
	add(&ids.readme, readme)
	add(&ids.real, real)
}

// rewrite replaces in a README command each id, or prefix of 4 or more
// hex digits of one, by the id this run printed in its place.
func (ids *tourIDs) rewrite(sh string) string {
	return regexp.MustCompile(`\b[0-9a-f]{4,12}\b`).ReplaceAllStringFunc(sh, func(tok string) string {
		for i, id := range ids.readme {
			if strings.HasPrefix(id, tok) && i < len(ids.real) {
				return ids.real[i][:len(tok)]
			}
		}
		return tok
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tourNormal is a line as the comparison sees it: ids, pids, ports,
// tokens and clock times made placeholders (they differ on every run), home shown as the
// README's /home/you, runs of blanks one space (columns widen with the
// values).
func tourNormal(line, home string) string {
	line = strings.ReplaceAll(line, home, "/home/you")
	line = tourIDRE.ReplaceAllString(line, "ID")
	line = regexp.MustCompile(`(127\.0\.0\.1|localhost):\d+`).ReplaceAllString(line, "$1:PORT")
	line = regexp.MustCompile(`token=[0-9a-f]+`).ReplaceAllString(line, "token=TOKEN")
	line = regexp.MustCompile(`\b(pid|process) \d+`).ReplaceAllString(line, "$1 PID")
	line = regexp.MustCompile(`\b(?:[A-Z][a-z]{2} \d{1,2} )?\d{1,2}:\d{2}(?::\d{2})?\b`).ReplaceAllString(line, "HH:MM")
	line = regexp.MustCompile(`[ \t]+`).ReplaceAllString(line, " ")
	return strings.TrimRight(line, " ")
}

// tourRunner runs the tour's commands in one scratch home.
type tourRunner struct {
	t    *testing.T
	home string
	env  []string
	ids  tourIDs
	bg   *exec.Cmd       // the command of the other terminal, if one runs
	out  *testkit.Buffer // what it printed
	seen int             // how many of its lines were compared already
	done chan struct{}
}

// newTourRunner makes an empty home with ipc on PATH and no IPC_*
// variables: a new user's shell.
func newTourRunner(t *testing.T) *tourRunner {
	home := t.TempDir()
	r := &tourRunner{t: t, home: home}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "IPC_"), k == "HOME", k == "PATH", k == "NO_COLOR", k == "LC_ALL":
		default:
			r.env = append(r.env, kv)
		}
	}
	r.env = append(r.env, "HOME="+home, "PATH="+filepath.Dir(ipcBin)+":"+os.Getenv("PATH"), "NO_COLOR=1", "LC_ALL=C.UTF-8")
	t.Cleanup(r.stop)
	return r
}

func (r *tourRunner) command(c tourCmd) *exec.Cmd {
	cmd := exec.Command("sh", "-c", r.ids.rewrite(c.sh))
	cmd.Dir, cmd.Env = r.home, r.env
	return cmd
}

// run runs c and compares what it printed with the README's lines.
func (r *tourRunner) run(c tourCmd) {
	r.t.Helper()
	out, _ := r.command(c).CombinedOutput() // an exit code shows in what is printed
	r.compare(c.line, c.want, lines(string(out)))
}

// start runs c in the background, as the other terminal, and waits for
// it to have printed the README's lines.
func (r *tourRunner) start(c tourCmd) {
	r.t.Helper()
	if r.bg != nil {
		r.t.Fatalf("README.md:%d: a second background command while one runs", c.line)
	}
	r.bg, r.out, r.seen, r.done = r.command(c), &testkit.Buffer{}, 0, make(chan struct{})
	r.bg.Stdout, r.bg.Stderr = r.out, r.out
	r.bg.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's job: Ctrl-C reaches all of it
	if err := r.bg.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() { _ = r.bg.Wait(); close(r.done) }()
	r.shown(c.line, c.want)
}

// shown waits until the background command has printed want after what
// was compared before, and compares it.
func (r *tourRunner) shown(at int, want []string) {
	r.t.Helper()
	if r.bg == nil {
		r.t.Fatalf("README.md:%d: output shown with no command running", at)
	}
	var got []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		got = lines(r.out.String())
		got = got[min(r.seen, len(got)):]
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.seen += len(got)
	r.compare(at, want, got)
}

// interrupt sends Ctrl-C's SIGINT to the background command, waits for
// it to end and checks it printed nothing more.
func (r *tourRunner) interrupt(at int) {
	r.t.Helper()
	if r.bg == nil {
		r.t.Fatalf("README.md:%d: Ctrl-C with no command running", at)
	}
	_ = syscall.Kill(-r.bg.Process.Pid, syscall.SIGINT) // the job's process group, as Ctrl-C does
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		r.t.Fatalf("README.md:%d: the background command did not stop on SIGINT", at)
	}
	if rest := lines(r.out.String())[r.seen:]; len(rest) > 0 {
		r.t.Errorf("README.md:%d: after Ctrl-C the other terminal printed %q, which the README does not show", at, rest)
	}
	r.bg = nil
}

// stop ends a background command the tour left running.
func (r *tourRunner) stop() {
	if r.bg != nil {
		_ = syscall.Kill(-r.bg.Process.Pid, syscall.SIGKILL)
		<-r.done
		r.bg = nil
	}
}

// compare checks the lines printed against the README's, learning the
// ids of each pair.
func (r *tourRunner) compare(at int, want, got []string) {
	r.t.Helper()
	ok := len(want) == len(got)
	for i := 0; ok && i < len(want); i++ {
		ok = tourNormal(want[i], r.home) == tourNormal(got[i], r.home)
	}
	if !ok {
		r.t.Fatalf("README.md:%d: the README shows\n%s\nbut this run printed\n%s", at, indent(want), indent(got))
	}
	for i := range want {
		r.ids.learn(want[i], got[i])
	}
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func indent(ls []string) string {
	if len(ls) == 0 {
		return "\t(nothing)"
	}
	return "\t" + strings.Join(ls, "\n\t")
}

// TestReadmeTour runs the README's tour literally, in order, as a new
// user would (ipc on PATH, no IPC_* set, an empty home), and compares
// every line it shows with what this build prints, ids, pids and clock
// times aside. The tour cannot drift from the code.
func TestReadmeTour(t *testing.T) {
	t.Parallel()
	for _, prog := range []string{"sh", "jq"} {
		if _, err := exec.LookPath(prog); err != nil {
			testkit.SkipEnv(t, "the README's tour uses %s, which is not installed (make test installs it): %v", prog, err)
		}
	}
	r := newTourRunner(t)
	for _, st := range readTour(t) {
		switch st.kind {
		case tourRun:
			for _, c := range st.cmds {
				r.run(c)
			}
		case tourBG:
			for i, c := range st.cmds {
				if i == len(st.cmds)-1 {
					r.start(c)
				} else {
					r.run(c)
				}
			}
		case tourOutput:
			r.shown(st.line, st.want)
		case tourInterrupt:
			r.interrupt(st.line)
		default:
			panic(fmt.Sprint("unknown tour step ", st.kind))
		}
	}
}
