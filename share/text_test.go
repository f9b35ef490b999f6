package share

import (
	"errors"
	"io"
	"testing"
)

// chunks reads b n bytes at a time.
type chunks struct {
	b []byte
	n int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

// A TextReader finds what TextProblem finds, at the same offset, however
// the text is cut into reads: a rune cut between two reads is whole.
func TestTextReaderAgreesWithTextProblem(t *testing.T) {
	for _, text := range []string{
		"plain text\n", "café 日本語 🎉 done", "€\u3000\u00a0", "",
		"bad \xff here", "cut at the end \xe2\x82", "lone continuation \x80 byte", "overlong \xc0\xaf",
		"nul \x00 inside", "日本\x00語", "surrogate \xed\xa0\x80", "🎉\xf0\x9f\x8e",
	} {
		want := TextProblem([]byte(text))
		for n := 1; n <= 8; n++ {
			tr := NewTextReader(&chunks{b: []byte(text), n: n})
			got, err := io.ReadAll(tr)
			switch {
			case want == nil && (err != nil || string(got) != text):
				t.Errorf("%q in reads of %d: %q, %v; want it whole", text, n, got, err)
			case want != nil && (err == nil || err.Error() != want.Error() || !errors.Is(tr.Err(), errors.Unwrap(want))):
				t.Errorf("%q in reads of %d: error %v (Err %v); want %v", text, n, err, tr.Err(), want)
			}
		}
	}
}

// A TextReader names the first bad byte of a stream; a read error of the
// stream is passed on and is not a problem of the text.
func TestTextReaderFirstProblem(t *testing.T) {
	tr := NewTextReader(&chunks{b: []byte("ab\xffcd\x00"), n: 2})
	if _, err := io.ReadAll(tr); err == nil || err.Error() != "is not UTF-8 text (byte 2 is 0xff)" {
		t.Errorf("error %v, want the bad byte at 2 (before the NUL)", err)
	}
	broken := errors.New("broken")
	tr = NewTextReader(io.MultiReader(&chunks{b: []byte("ok"), n: 1}, errReader{broken}))
	if _, err := io.ReadAll(tr); !errors.Is(err, broken) || tr.Err() != nil {
		t.Errorf("error %v, Err %v; want the read error, no text problem", err, tr.Err())
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
