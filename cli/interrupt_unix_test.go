//go:build unix

package cli

import "syscall"

// interrupt does to this process what Ctrl-C does: SIGINT.
func interrupt() error { return syscall.Kill(syscall.Getpid(), syscall.SIGINT) }
