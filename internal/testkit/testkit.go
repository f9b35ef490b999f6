// Package testkit holds helpers that the tests of several packages share:
// a buffer that goroutines and processes may write while a test reads it,
// and a poll for conditions that another goroutine or process brings
// about.
//
// It is for tests only; nothing in the ipc command uses it.
package testkit

import (
	"bytes"
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

// WriteSynced creates path, which must not exist yet, holding data, and
// fsyncs it before closing it: the first half of a durable Maildir
// delivery, as a benchmark's bare filesystem baseline does it.
func WriteSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
