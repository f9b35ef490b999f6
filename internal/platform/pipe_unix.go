//go:build unix

package platform

import (
	"errors"
	"syscall"
)

// BrokenPipe reports whether err is a write to a pipe or socket whose
// reader is gone (EPIPE: 'ipc watch | head -1' after head exits).
func BrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }
