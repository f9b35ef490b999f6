//go:build unix

package platform

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// TestStopGentlyInterrupts: a command cancelled through its context is
// sent SIGINT, which it may catch to stop cleanly, and is killed only if
// it outlives the grace.
func TestStopGentlyInterrupts(t *testing.T) {
	cases := []struct {
		name   string
		script string
		want   int // exit code; -1 for killed by a signal
	}{
		{"stops when interrupted", `trap 'exit 7' INT; echo ready; while :; do sleep 0.01; done`, 7},
		{"killed after the grace", `trap '' INT; echo ready; while :; do sleep 0.01; done`, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cmd := exec.CommandContext(ctx, "sh", "-c", tc.script)
			StopGently(cmd, 300*time.Millisecond)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 6)
			if _, err := out.Read(buf); err != nil {
				t.Fatal(err)
			}
			cancel()
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("wait: %v, want an exit", err)
			}
			if got := exit.ExitCode(); got != tc.want {
				t.Errorf("exit code %d (%v), want %d", got, err, tc.want)
			}
		})
	}
}
