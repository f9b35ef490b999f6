//go:build unix && !linux

package platform

import "os"

// OpenForWriting cannot tell on this system (no leases; walking every
// process's descriptors is too costly): known is always false, and callers
// decide by the file's size and modification time alone.
func OpenForWriting(f *os.File) (open, known bool) { return false, false }
