//go:build unix

package testkit

import "syscall"

// Mkfifo makes a named pipe at path (0600). On Windows, which has none, it
// fails with errors.ErrUnsupported.
func Mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
