//go:build !linux

package main

import (
	"os"
	"testing"
)

// pipeQueued would return the bytes waiting in a pipe; only the Linux
// build asks the kernel (sys_linux_test.go), so the test skips here.
func pipeQueued(t *testing.T, f *os.File) (int, error) {
	t.Skip("counting the bytes queued in a pipe is implemented for Linux only")
	return 0, nil
}

// openPTY would open a pseudo-terminal pair (sys_linux_test.go).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Skip("pseudo-terminal tests are implemented for Linux only")
	return nil, nil
}
