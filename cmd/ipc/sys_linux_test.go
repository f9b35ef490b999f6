package main

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// What the process tests need of Linux alone: a pseudo-terminal and the
// bytes queued in a pipe. Elsewhere (sys_other_test.go) the tests that
// need them skip.

// pipeQueued returns how many bytes wait unread in the pipe f (FIONREAD).
func pipeQueued(t *testing.T, f *os.File) (int, error) {
	return unix.IoctlGetInt(int(f.Fd()), unix.TIOCINQ)
}

// openPTY opens a pseudo-terminal pair, skipping the test where there is
// none.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		testkit.SkipEnv(t, "no pseudo-terminal: %v", err)
	}
	rc, err := m.SyscallConn() // not Fd(): that would make reads block past Close
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	var n int
	if cerr := rc.Control(func(fd uintptr) {
		if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
			n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	}); cerr != nil || err != nil {
		m.Close()
		testkit.SkipEnv(t, "set up pseudo-terminal: %v %v", cerr, err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		testkit.SkipEnv(t, "open pseudo-terminal: %v", err)
	}
	return m, s
}
