package testkit

import (
	"errors"
	"os"
)

// Mkfifo makes a named pipe at path (0600). On Windows, which has none, it
// fails with errors.ErrUnsupported.
func Mkfifo(path string) error {
	return &os.PathError{Op: "mkfifo", Path: path, Err: errors.ErrUnsupported}
}
