package spool

import (
	"os"

	"github.com/claude-ipc/ipc/internal/platform"
)

// openForWriting reports whether some process has f's file open for
// writing: a script writing a drop-in in place. Where the system cannot
// tell it answers false and the settle rules alone decide.
func openForWriting(f *os.File) bool {
	open, _ := platform.OpenForWriting(f)
	return open
}
