package share

import (
	"errors"
	"fmt"
	"strings"
)

// ErrShellSyntax reports shell syntax (a pipe, a redirection, '$', ...) in
// a command that no shell will run.
var ErrShellSyntax = errors.New("no shell runs the command")

// SplitWords splits s into words the way a POSIX shell does, without
// running one: blanks separate words; 'single quotes' keep everything
// literally; "double quotes" keep everything but \" \\ \$ \` and
// backslash-newline; an unquoted backslash keeps the next character; '#'
// at the start of a word begins a comment. Nothing is expanded, so unquoted
// pipes, redirections, ';', '&', '$' and '`' are refused with an error
// wrapping ErrShellSyntax rather than passed on as arguments.
func SplitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // cur holds a word, possibly empty ("")
	)
	end := func() {
		if in {
			words = append(words, cur.String())
		}
		cur.Reset()
		in = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n':
			end()
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("command ends with a lone backslash")
			}
			i++
			if s[i] != '\n' { // backslash-newline continues the line
				cur.WriteByte(s[i])
				in = true
			}
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("command has an unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			in = true
			i += j + 1
		case '"':
			n, err := doubleQuoted(s[i+1:], &cur)
			if err != nil {
				return nil, err
			}
			in = true
			i += n // at the closing quote
		case '#':
			if in { // only a word's first character starts a comment
				cur.WriteByte(c)
				continue
			}
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				i += j - 1
			} else {
				i = len(s)
			}
		case '|', '&', ';', '<', '>', '(', ')', '`', '$':
			return nil, fmt.Errorf("%w: %q is shell syntax; quote it, or run the command as sh -c '...'",
				ErrShellSyntax, string(c))
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	end()
	return words, nil
}

// doubleQuoted copies the inside of a double-quoted string starting at s
// (just after the opening quote) into b and returns how many bytes it used,
// the closing quote included.
func doubleQuoted(s string, b *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			if i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
				i++
				if s[i] != '\n' {
					b.WriteByte(s[i])
				}
				continue
			}
			b.WriteByte(c)
		case '$', '`':
			return 0, fmt.Errorf("%w: %q inside double quotes would be expanded by a shell; use single quotes",
				ErrShellSyntax, string(c))
		default:
			b.WriteByte(c)
		}
	}
	return 0, errors.New("command has an unterminated double quote")
}

// JoinWords quotes each word only where a shell needs it, so the result
// can be pasted into a shell and SplitWords gives back the same words.
func JoinWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = quoteWord(w)
	}
	return strings.Join(q, " ")
}

func quoteWord(w string) string {
	if w == "" {
		return "''"
	}
	for _, c := range w {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_@%+=:,./-", c)) {
			return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return w
}
