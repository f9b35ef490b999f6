package platform

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// BrokenPipe reports whether err is a write to a pipe whose reader is
// gone: Windows says ERROR_NO_DATA ("the pipe is being closed") or
// ERROR_BROKEN_PIPE where Unix says EPIPE, and raises no SIGPIPE.
func BrokenPipe(err error) bool {
	return errors.Is(err, windows.ERROR_NO_DATA) || errors.Is(err, windows.ERROR_BROKEN_PIPE) ||
		errors.Is(err, syscall.EPIPE)
}
