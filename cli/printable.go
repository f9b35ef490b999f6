package cli

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// printable returns s made safe to write to a terminal, as mail readers do
// with what strangers send: a message could otherwise move the cursor,
// retitle the window or rewrite what is already on the screen. Tabs and
// newlines stay; other C0 control characters and DEL are shown in caret
// notation (ESC as ^[, BEL as ^G, DEL as ^?), C1 control characters as
// cat -v shows them (U+009B as M-^[), and bytes that are not UTF-8 as
// U+FFFD. The invisible controls of bidirectional text (U+202E and its
// kin), which reorder what the terminal shows so a reader sees another
// text than was sent, are written as <U+202E>. A CR just before a newline
// (a CRLF line end) is dropped.
func printable(s string) string {
	if isPrintable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		case r >= 0x80 && r <= 0x9f:
			b.WriteString("M-^")
			b.WriteByte(byte(r-0x80) + '@')
		case isBidi(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isPrintable reports whether printable would leave s as it is.
func isPrintable(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || r <= 0x9f || isBidi(r) {
			return false
		}
		i += n
	}
	return true
}

// isBidi reports whether r is a bidirectional formatting character: the
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
// the marks (U+200E, U+200F, U+061C).
func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200e || r == 0x200f || r == 0x061c
}
