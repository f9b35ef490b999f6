// Package testkit holds helpers that the tests of several packages share:
// a buffer that goroutines and processes may write while a test reads it,
// a poll for conditions that another goroutine or process brings about,
// and SkipEnv, the one way a test gives up for want of something in its
// environment (root, a tool, a network, a pseudo-terminal).
//
// With IPC_TEST_STRICT=1 (set by .ci/run) SkipEnv fails the test instead
// of skipping it, so a run that was meant to exercise everything cannot
// pass by quietly testing less.
//
// It is for tests only; nothing in the ipc command uses it.
package testkit

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer safe for concurrent use: a log destination or
// a process's output that a test reads while it is written. The zero
// Buffer is empty and ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of what has been written so far.
func (b *Buffer) Bytes() []byte { return []byte(b.String()) }

// Eventually calls cond every interval until it returns true, and fails
// the test with "timed out waiting for WHAT" if it has not within limit.
func Eventually(t testing.TB, what string, limit, interval time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(interval) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// StrictEnv is the environment variable that turns SkipEnv into a failure.
const StrictEnv = "IPC_TEST_STRICT"

// Strict reports whether IPC_TEST_STRICT=1: every environment skip fails.
func Strict() bool { return os.Getenv(StrictEnv) == "1" }

// SkipEnv gives up on t because its environment lacks something the test
// needs; the reason says what and how to get it. It skips the test, or,
// with IPC_TEST_STRICT=1, fails it (t.Fatal). It does not return.
//
// Use it for every skip that a better-equipped machine would not take;
// use t.Skip only for skips that are a choice (-short, a fuzz input out
// of range).
func SkipEnv(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("%s=1, so this skip is a failure: %s", StrictEnv, reason)
		return
	}
	t.Skip("SKIP (environment): " + reason)
}
