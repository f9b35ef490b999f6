package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime/debug"
	"strings"
)

// A request's parameters and a tool's arguments are kept as slices of the
// message they came in, not copies: a send's content of 60 MB is then held
// as the message and as the one string decoded from it.

// Member returns the value of key in the JSON object obj as a slice of
// obj, not a copy: the last member named exactly key, as json.Unmarshal
// into a map takes it; nil when there is none or obj is no object. obj
// must be valid JSON (as a message is once it has been decoded).
func Member(obj []byte, key string) []byte { return span(obj, key, false) }

// field is Member matching key as json.Unmarshal matches a struct field's
// name: exactly or regardless of case.
func field(obj []byte, key string) []byte { return span(obj, key, true) }

func span(obj []byte, key string, fold bool) []byte {
	if start, end, ok := memberAt(obj, key, fold); ok {
		return obj[start:end]
	}
	return nil
}

// memberAt returns where the value of key is in obj: obj[start:end].
func memberAt(obj []byte, key string, fold bool) (start, end int, ok bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return 0, 0, false
	}
	for i = skipSpace(obj, i+1); i < len(obj) && obj[i] == '"'; {
		e := stringEnd(obj, i)
		name := obj[i:e]
		i = skipSpace(obj, skipSpace(obj, e)+1) // past the ':'
		if i >= len(obj) {
			break
		}
		e = valueEnd(obj, i)
		if keyIs(name, key, fold) {
			start, end, ok = i, e, true // the last one counts
		}
		if i = skipSpace(obj, e); i >= len(obj) || obj[i] != ',' {
			break
		}
		i = skipSpace(obj, i+1)
	}
	return start, end, ok
}

// without returns a copy of obj with the value of key (as field finds
// it) replaced by null, and that value: the rest of a request decoded
// apart from its one large member.
func without(obj []byte, key string) (rest, value []byte) {
	start, end, ok := memberAt(obj, key, true)
	if !ok {
		return obj, nil
	}
	rest = make([]byte, 0, len(obj)-(end-start)+4)
	rest = append(append(append(rest, obj[:start]...), "null"...), obj[end:]...)
	return rest, obj[start:end]
}

// keyIs reports whether the JSON string name (quoted) is key.
func keyIs(name []byte, key string, fold bool) bool {
	var s string
	if bytes.IndexByte(name, '\\') < 0 {
		s = string(name[1 : len(name)-1])
	} else if json.Unmarshal(name, &s) != nil {
		return false
	}
	return s == key || (fold && strings.EqualFold(s, key))
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at
// b[i], a '"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return len(b)
		}
		q += j
		escapes := 0
		for k := q - 1; k > i && b[k] == '\\'; k-- {
			escapes++
		}
		if escapes%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// valueEnd returns the index just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				j = stringEnd(b, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(b)
	}
	for j := i; j < len(b); j++ { // a number, true, false or null
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return len(b)
}

// pieces gathers the parts of one message as they are read and joins
// them into one slice of exactly their size: reading a message costs it
// twice at most, never the garbage of a buffer grown by doubling.
type pieces struct {
	list [][]byte
	n    int
}

func (p *pieces) add(b []byte) {
	if len(b) > 0 {
		p.list = append(p.list, bytes.Clone(b))
		p.n += len(b)
	}
}

func (p *pieces) bytes() []byte {
	if len(p.list) == 1 {
		return p.list[0]
	}
	out := make([]byte, 0, p.n)
	for _, b := range p.list {
		out = append(out, b...)
	}
	if p.list = nil; p.n >= bigMessage {
		// The pieces are garbage now, as large as the message, and the
		// string its decoding makes next is as large again: give their
		// memory back first, so that the process peaks at twice the
		// message (line and string), not three times.
		debug.FreeOSMemory()
	}
	return out
}

// bigMessage is the size from which a message's pieces are collected at
// once after they were joined.
const bigMessage = 4 << 20

// head returns the first headKept bytes gathered so far followed by b.
func (p *pieces) head(b []byte) []byte {
	h := make([]byte, 0, headKept)
	for _, part := range append(p.list, b) {
		h = append(h, part[:min(len(part), headKept-len(h))]...)
	}
	return h
}

// readAll reads r to its end as pieces joined once (io.ReadAll would grow
// a buffer, leaving several times the message as garbage).
func readAll(r io.Reader) ([]byte, error) {
	var p pieces
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		p.add(buf[:n])
		if errors.Is(err, io.EOF) {
			return p.bytes(), nil
		}
		if err != nil {
			return p.bytes(), err
		}
	}
}
