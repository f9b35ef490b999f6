package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/latency"
	"github.com/claude-ipc/ipc/spool"
)

// The start-up benchmarks run one ipc process per iteration, the way an
// agent's client runs them per message and per prompt, against a minimal
// Go program doing the same file work (testdata/bare), interleaved in the
// same run: the ratio of the medians is what ipc costs beyond the work.
// The target is 1.3× (issue 14). ipc is built here as make build, make
// install and make dist build it: without cgo, so that it is linked
// statically (a dynamically linked ipc spends about 0.7 ms more of every
// start in the dynamic loader).

var (
	startOnce           sync.Once
	startIPC, startBare string
	startErr            error
)

// startBins builds ipc (static) and testdata/bare beside ipcBin, once.
func startBins(b *testing.B) (ipc, bare string) {
	b.Helper()
	startOnce.Do(func() {
		dir := filepath.Dir(ipcBin)
		startIPC, startBare = filepath.Join(dir, "ipc-static"), filepath.Join(dir, "bare")
		for _, build := range [][]string{{startIPC, "github.com/claude-ipc/ipc/cmd/ipc"}, {startBare, "./testdata/bare"}} {
			cmd := exec.Command(goTool(), "build", "-trimpath", "-o", build[0], build[1])
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				startErr = fmt.Errorf("build %s: %v\n%s", build[1], err, out)
				return
			}
		}
	})
	if startErr != nil {
		b.Fatal(startErr)
	}
	return startIPC, startBare
}

// timed runs name with args, env and stdin, and returns how long the
// process took from start to exit, and its stdout.
func timed(b *testing.B, env []string, stdin, name string, args ...string) (time.Duration, string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, errOut.Bytes())
	}
	return time.Since(start), out.String()
}

// reportPair reports both medians and their ratio.
func reportPair(b *testing.B, what string, ipc, bare []time.Duration) {
	b.Helper()
	i50, b50 := latency.Percentile(ipc, 50), latency.Percentile(bare, 50)
	b.ReportMetric(latency.Micros(i50), "ipc-p50-µs")
	b.ReportMetric(latency.Micros(b50), "bare-p50-µs")
	b.ReportMetric(float64(i50)/float64(b50), what)
}

// BenchmarkStartHook measures "ipc hook UserPromptSubmit", which Claude
// Code runs at every prompt, against bare listing new/ and reading the
// newest messages' heads: on an empty mailbox (the common prompt: no mail,
// nothing to say) and with 3 unread messages (each run a new session, so
// each run tells of them).
func BenchmarkStartHook(b *testing.B) {
	ipcBin, bare := startBins(b)
	for _, tt := range []struct {
		name   string
		unread bool
	}{{"empty", false}, {"3-unread", true}} {
		b.Run(tt.name, func(b *testing.B) {
			var w *world
			var mb *spool.Mailbox
			if tt.unread {
				w, _, mb = bobWithUnread(b)
			} else {
				w = benchWorld(b)
				sp, err := spool.Open(w.home)
				if err != nil {
					b.Fatal(err)
				}
				if mb, err = sp.EnsureMailbox("bob"); err != nil {
					b.Fatal(err)
				}
			}
			var ipc, floor []time.Duration
			for b.Loop() {
				in := `{"session_id":"bench-` + time.Now().Format("150405.000000") + `","hook_event_name":"UserPromptSubmit","prompt":"hi"}`
				d, out := timed(b, w.env, in, ipcBin, "--as", "bob", "hook", "UserPromptSubmit")
				if tt.unread != strings.Contains(out, "3 new messages") {
					b.Fatalf("hook printed %q", out)
				}
				ipc = append(ipc, d)
				d, _ = timed(b, w.env, "", bare, "hook", mb.Dir)
				floor = append(floor, d)
			}
			reportPair(b, "hook/bare", ipc, floor)
		})
	}
}

// BenchmarkStartSend measures one "ipc send" process, a durable delivery
// per process as a script or an agent's shell tool sends, against bare
// writing, fsyncing and renaming the same message into new/ and fsyncing
// new/. The mailbox is emptied between iterations, untimed, so that both
// always deliver into a mailbox of the same size.
func BenchmarkStartSend(b *testing.B) {
	ipcBin, bare := startBins(b)
	w := benchWorld(b)
	sp, err := spool.Open(w.home)
	if err != nil {
		b.Fatal(err)
	}
	// The rate limit still applies (its file is read and written at every
	// send), set high enough for any -benchtime.
	if err := os.WriteFile(filepath.Join(w.home, "config.json"), []byte(`{"rate_limit": 1000000000}`), 0o600); err != nil {
		b.Fatal(err)
	}
	mb, err := sp.EnsureMailbox("bob")
	if err != nil {
		b.Fatal(err)
	}
	var ipc, floor []time.Duration
	for b.Loop() {
		d, _ := timed(b, w.env, "", ipcBin, "--as", "alice", "send", "bob", "hi")
		ipc = append(ipc, d)
		d, _ = timed(b, w.env, "", bare, "send", mb.Dir)
		floor = append(floor, d)
		b.StopTimer()
		emptyNew(b, mb)
		b.StartTimer()
	}
	reportPair(b, "send/bare", ipc, floor)
}

// emptyNew removes what was delivered into mb's new/.
func emptyNew(b *testing.B, mb *spool.Mailbox) {
	b.Helper()
	ents, err := os.ReadDir(mb.NewDir())
	if err != nil {
		b.Fatal(err)
	}
	if len(ents) != 2 {
		b.Fatalf("%d messages delivered, want 2 (one each)", len(ents))
	}
	for _, e := range ents {
		if err := os.Remove(filepath.Join(mb.NewDir(), e.Name())); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartHelp measures "ipc --help", which touches no spool,
// against bare starting and exiting: the cost of starting ipc itself (its
// size, its packages' init, cobra) with no work at all.
func BenchmarkStartHelp(b *testing.B) {
	ipcBin, bare := startBins(b)
	w := benchWorld(b)
	var ipc, floor []time.Duration
	for b.Loop() {
		d, _ := timed(b, w.env, "", ipcBin, "--help")
		ipc = append(ipc, d)
		d, _ = timed(b, w.env, "", bare, "start")
		floor = append(floor, d)
	}
	reportPair(b, "help/bare", ipc, floor)
}
