package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// Scale is how big a run's mailboxes are and how long it measures.
type Scale struct {
	Name    string
	Unread  []int         // sizes of the unread mailboxes claims and check run on
	Read    int           // read messages in the mailbox that also holds a few unread
	Burst   int           // messages landing at once in the burst figures
	Rounds  int           // turns of each side in a rate comparison
	Turn    time.Duration // how long one turn lasts
	Budget  time.Duration // how long one figure may take, roughly (it finishes the operation under way)
	Samples int           // latency samples per figure (at most; a budget also stops them)
}

// Scales are the runs make bench offers: "default" fits in three minutes
// on a small machine; "full" has the mailbox sizes of the targets.
var Scales = map[string]Scale{
	"default": {Name: "default", Unread: []int{1000, 100000}, Read: 100000, Burst: 10000,
		Rounds: 10, Turn: 100 * time.Millisecond, Budget: 4 * time.Second, Samples: 40},
	"full": {Name: "full", Unread: []int{1000, 100000, 1000000}, Read: 1000000, Burst: 10000,
		Rounds: 20, Turn: 150 * time.Millisecond, Budget: 20 * time.Second, Samples: 200},
}

// Groups are the figure groups, in the order they run.
var Groups = []string{"send", "list", "claim", "hook", "wake", "rss"}

// Config says what Run measures and with what.
type Config struct {
	IPC      string    // the ipc binary
	Bare     string    // the ipc-bare binary
	Dir      string    // scratch directory for the spools; "" makes one and removes it after
	Scale    Scale     // sizes and pace
	Only     []string  // groups to run (of Groups); none: every group
	Revision string    // what was measured (a commit), for the report
	Log      io.Writer // progress, one line a group; nil: none
}

// env is what every group of a run shares.
type env struct {
	cfg   Config
	dir   string
	pace  pace
	scale Scale
	// fixtures are the big mailboxes, built once by the claim group
	// and used again by hook and rss.
	fix *fixtures
}

// Run measures every group of cfg and returns the report. A figure that
// cannot be measured is in the report with its error; Run itself fails
// only when it cannot start.
func Run(cfg Config) (*Report, error) {
	if cfg.IPC == "" || cfg.Bare == "" {
		return nil, errors.New("bench: the ipc and ipc-bare binaries are needed")
	}
	for _, g := range cfg.Only {
		if !contains(Groups, g) {
			return nil, fmt.Errorf("bench: unknown group %q (groups: %s)", g, strings.Join(Groups, ", "))
		}
	}
	e := &env{cfg: cfg, dir: cfg.Dir, scale: cfg.Scale, pace: pace{rounds: cfg.Scale.Rounds, turn: cfg.Scale.Turn, budget: cfg.Scale.Budget}}
	if e.dir == "" {
		d, err := os.MkdirTemp("", "ipc-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		e.dir = d
		defer os.RemoveAll(d)
	}
	start := time.Now()
	r := &Report{Date: start.UTC(), Machine: machine(e.dir, cfg.Revision), Scale: cfg.Scale.Name}
	groups := map[string]func() []Figure{
		"send": e.sends, "list": e.lists, "claim": e.claims, "hook": e.hooks, "wake": e.wakes, "rss": e.rss,
	}
	for _, g := range Groups {
		if len(cfg.Only) > 0 && !contains(cfg.Only, g) {
			continue
		}
		t0 := time.Now()
		e.logf("%s...", g)
		figs := groups[g]()
		r.Figures = append(r.Figures, figs...)
		e.logf("%-6s %3d figures in %4.1f s", g, len(figs), time.Since(t0).Seconds())
	}
	r.Took = time.Since(start).Seconds()
	return r, nil
}

func (e *env) logf(format string, a ...any) {
	if e.cfg.Log != nil {
		fmt.Fprintf(e.cfg.Log, "bench: "+format+"\n", a...)
	}
}

// runner returns a runner for the spool at root.
func (e *env) runner(root string) *runner { return newRunner(e.cfg.IPC, e.cfg.Bare, root) }

// openSpool makes a spool at root with no rate limit and no unread quota
// (the figures measure delivery, not limits) and opens it once so that
// its directories exist.
func openSpool(root string) error {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return err
	}
	cfg := `{"rate_limit": 0, "max_unread": 0}` + "\n"
	if err := os.WriteFile(filepath.Join(root, "config.json"), []byte(cfg), 0o600); err != nil {
		return err
	}
	_, err := spool.Open(root)
	return err
}

// machine describes this machine and the file system under dir.
func machine(dir, rev string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), Revision: rev, CPU: runtime.GOARCH, FileSystem: "unknown", Kernel: runtime.GOOS}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.FileSystem = fileSystem(dir)
	return m
}

// fileSystem names the type and options of the mount holding dir, from
// /proc/mounts: the longest mount point that is a prefix of dir.
func fileSystem(dir string) string {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return "unknown"
	}
	abs, _ := filepath.Abs(dir)
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	best, fs := "", "unknown"
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		mp := f[1]
		if (abs == mp || strings.HasPrefix(abs, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, fs = mp, f[2]+" ("+f[3]+")"
		}
	}
	return fs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
