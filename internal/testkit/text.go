package testkit

import (
	"io"
	"runtime"
)

// Text is a reader of Size bytes of text made as it is read, so that a
// test can stream a message of any size without holding it: lines of 63
// 'x' and a newline, with the byte at Bad (when Bad > 0) replaced by
// BadByte.
type Text struct {
	Size    int64
	Bad     int64
	BadByte byte
	off     int64
}

// textLines is one period of Text's bytes.
var textLines = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'x'
		if i%64 == 63 {
			b[i] = '\n'
		}
	}
	return b
}()

func (t *Text) Read(p []byte) (int, error) {
	if t.off >= t.Size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), t.Size-t.off)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], textLines[(t.off+int64(n))%int64(len(textLines)):])
	}
	if t.Bad > 0 && t.Bad >= t.off && t.Bad < t.off+int64(n) {
		p[t.Bad-t.off] = t.BadByte
	}
	t.off += int64(n)
	return n, nil
}

// Allocated returns the bytes f allocates on the heap (all goroutines'
// allocations while it runs count).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
