package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// caughtSignal is the cause of a context ended by a signal.
type caughtSignal struct{ sig syscall.Signal }

func (c caughtSignal) Error() string { return c.sig.String() + " received" }

// exitCode is the shell's code for a process ended by the signal: 128+N,
// so Ctrl-C gives 130 and SIGTERM 143.
func (c caughtSignal) exitCode() int { return 128 + int(c.sig) }

// signalContext returns a context that ends when SIGINT or SIGTERM
// arrives, with a caughtSignal as its cause (see signalOf). stop releases
// the signals and waits for the goroutine that watches for them.
func signalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case s := <-ch:
			if sig, ok := s.(syscall.Signal); ok {
				cancel(caughtSignal{sig})
			}
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
		<-done
	}
}

// signalOf reports the signal that ended ctx, if one did.
func signalOf(ctx context.Context) (caughtSignal, bool) {
	var c caughtSignal
	ok := errors.As(context.Cause(ctx), &c)
	return c, ok
}

// catchBrokenPipe makes a write to a closed stdout fail with EPIPE instead
// of killing the process, so a reader whose output is gone ('ipc watch |
// head -1') can leave unread what it could not show.
func catchBrokenPipe() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}
