// Command ipc-bench runs ipc's benchmarks (make bench): every figure
// beside the bare operation measured in the same run, printed as a table
// and written as JSON.
//
//	ipc-bench -ipc bin/ipc -bare bin/ipc-bare -json bin/bench.json [-scale default|full] [-only send,wake]
//
// -scale defaults to $BENCH_SCALE, else "default" (sized to finish in
// about three minutes on a small machine); "full" builds the
// 1,000,000-message mailboxes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/claude-ipc/ipc/internal/bench"
)

func main() {
	var (
		cfg   bench.Config
		scale = os.Getenv("BENCH_SCALE")
		out   string
		md    string
		only  string
	)
	if scale == "" {
		scale = "default"
	}
	flag.StringVar(&cfg.IPC, "ipc", "bin/ipc", "the ipc binary to measure")
	flag.StringVar(&cfg.Bare, "bare", "bin/ipc-bare", "the ipc-bare binary, the bare yardstick")
	flag.StringVar(&cfg.Dir, "dir", "", "scratch directory for the spools (default: a new temporary one, removed after)")
	flag.StringVar(&cfg.Revision, "rev", "", "what is measured, for the report (a commit)")
	flag.StringVar(&scale, "scale", scale, "default or full")
	flag.StringVar(&out, "json", "bench.json", "where to write the figures as JSON")
	flag.StringVar(&md, "markdown", "", "also write the table as Markdown here")
	flag.StringVar(&only, "only", "", "comma-separated groups to run: "+strings.Join(bench.Groups, ","))
	flag.Parse()
	if err := run(cfg, scale, only, out, md); err != nil {
		fmt.Fprintln(os.Stderr, "ipc-bench:", err)
		os.Exit(1)
	}
}

func run(cfg bench.Config, scale, only, out, md string) error {
	s, ok := bench.Scales[scale]
	if !ok {
		return fmt.Errorf("unknown scale %q (default or full)", scale)
	}
	cfg.Scale, cfg.Log = s, os.Stderr
	if only != "" {
		cfg.Only = strings.Split(only, ",")
	}
	for _, p := range []*string{&cfg.IPC, &cfg.Bare} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	r, err := bench.Run(cfg)
	if err != nil {
		return err
	}
	if err := r.WriteTable(os.Stdout); err != nil {
		return err
	}
	if err := writeFile(out, r.WriteJSON); err != nil {
		return err
	}
	fmt.Printf("figures written to %s\n", out)
	if md != "" {
		if err := writeFile(md, r.WriteMarkdown); err != nil {
			return err
		}
		fmt.Printf("table written to %s\n", md)
	}
	return nil
}

func writeFile(path string, write func(w io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
