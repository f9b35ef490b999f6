package share

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// TextReader reads text from a stream too long to hold (a message on
// stdin) and fails at the first byte that keeps it from being mail text,
// with TextProblem's reasons and the byte's offset in the whole stream,
// however the stream is cut into reads: a rune cut by the end of one read
// is finished by the next. (TextProblem, which sees all of a text, names a
// NUL byte before an earlier byte that is not UTF-8; a TextReader names the
// first bad byte.)
type TextReader struct {
	r     io.Reader
	off   int64 // bytes checked before the carry
	carry []byte
	err   error
}

// NewTextReader returns a TextReader reading r.
func NewTextReader(r io.Reader) *TextReader {
	return &TextReader{r: r, carry: make([]byte, 0, utf8.UTFMax)}
}

// Err returns the problem of the text that stopped reading (wrapping
// ErrNUL or ErrNotUTF8), or nil: none was found, or reading stopped for
// another reason, which Read returned.
func (t *TextReader) Err() error { return t.err }

// Read reads from the stream into p and checks what it read.
func (t *TextReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.r.Read(p)
	if t.err = t.check(p[:n]); t.err == nil && errors.Is(err, io.EOF) && len(t.carry) > 0 {
		t.err = notUTF8At(t.off, t.carry[0]) // the text ends inside a rune
	}
	if t.err != nil {
		return 0, t.err
	}
	return n, err
}

// check checks the next piece p of the text.
func (t *TextReader) check(p []byte) error {
	if c := len(t.carry); c > 0 { // finish the rune the last piece cut
		k := min(len(p), utf8.UTFMax-c)
		t.carry = append(t.carry, p[:k]...)
		if !utf8.FullRune(t.carry) {
			return nil
		}
		if r, size := utf8.DecodeRune(t.carry); r == utf8.RuneError && size == 1 {
			return notUTF8At(t.off, t.carry[0])
		} else {
			p = p[size-c:]
			t.off += int64(size)
		}
		t.carry = t.carry[:0]
	}
	end := len(p) // p[:end] is whole runes; a rune cut at the end waits
	for k := 1; k < utf8.UTFMax && k <= len(p); k++ {
		if utf8.RuneStart(p[len(p)-k]) {
			if !utf8.FullRune(p[len(p)-k:]) {
				end = len(p) - k
			}
			break
		}
	}
	whole := p[:end]
	if bytes.IndexByte(whole, 0) >= 0 || !utf8.Valid(whole) {
		for i := 0; i < len(whole); {
			if whole[i] == 0 {
				return nulAt(t.off + int64(i))
			}
			r, n := utf8.DecodeRune(whole[i:])
			if r == utf8.RuneError && n == 1 {
				return notUTF8At(t.off+int64(i), whole[i])
			}
			i += n
		}
	}
	t.off += int64(end)
	t.carry = append(t.carry, p[end:]...)
	return nil
}
