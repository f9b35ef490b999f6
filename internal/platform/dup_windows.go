package platform

import "os"

// DupNonblock is not available on Windows (anonymous pipes cannot be made
// non-blocking): ok is false and callers write to f directly.
func DupNonblock(f *os.File) (dup *os.File, ok bool) { return nil, false }
