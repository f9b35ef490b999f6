package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrBadData reports data that is not one JSON object. CheckData returns
// it as a DataError that says exactly why: a syntax error and where, the
// kind of value given instead, or a number no JSON reader can hold.
var ErrBadData = errors.New("bad data")

// DataError is the reason CheckData refused some data.
type DataError struct{ Reason string }

func (e *DataError) Error() string        { return e.Reason }
func (e *DataError) Is(target error) bool { return target == ErrBadData }

func badData(format string, args ...any) error {
	return &DataError{Reason: fmt.Sprintf(format, args...)}
}

// CheckData reports whether raw is one JSON object that any JSON reader
// can hold. It decodes nothing into Go values, so the bytes a sender gave
// are the bytes the reader gets: 9007199254740993 is not rounded through
// float64 and keys keep their order.
func CheckData(raw []byte) error {
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v) // only for the reason and offset
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return badData("not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
		}
		return badData("not valid JSON")
	}
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return badData("must be a JSON object, like {\"key\":\"value\"}, not %s", kindOf(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badData("%v", err)
		}
		if n, ok := tok.(json.Number); ok {
			if _, err := strconv.ParseFloat(string(n), 64); err != nil {
				return badData("the number %s is out of the range a JSON reader can hold (a 64-bit float); send it as a string", n)
			}
		}
	}
}

// kindOf names the kind of JSON value that starts b.
func kindOf(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
