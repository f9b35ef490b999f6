package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// stdioCount numbers the stdio sessions of the process.
var stdioCount atomic.Int64

// ServeStdio serves one client over in and out, one JSON-RPC message a
// line each way, until in ends or ctx is done. Requests are served
// concurrently (a tool call that waits holds up no other); notifications
// in the order they come. Each message is written to out with one Write.
// When it returns, the session has ended and every request it started has
// returned (their contexts are cancelled when in ends).
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	ss := newSession(fmt.Sprintf("stdio-%d", stdioCount.Add(1)))
	var wmu sync.Mutex
	write := func(b []byte) error {
		line := make([]byte, 0, len(b)+1)
		line = append(append(line, b...), '\n')
		wmu.Lock()
		defer wmu.Unlock()
		_, err := out.Write(line)
		return err
	}
	ss.deliver = write
	s.register(ss)
	var requests sync.WaitGroup
	defer func() {
		s.unregister(ss) // cancels the requests still running
		requests.Wait()
	}()

	lines := make(chan readLine)
	stop := make(chan struct{})
	defer close(stop)
	go readLines(bufio.NewReaderSize(in, 64<<10), s.opts.MaxMessage, lines, stop)
	for {
		var l readLine
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l = <-lines:
		}
		switch {
		case l.tooLong != nil:
			if err := write(l.tooLong); err != nil {
				return err
			}
			continue
		case l.err != nil:
			if errors.Is(l.err, io.EOF) {
				return nil
			}
			return fmt.Errorf("mcpserver: read: %w", l.err)
		case len(bytes.TrimSpace(l.b)) == 0:
			continue
		}
		m, bad := parse(l.b)
		if bad != nil {
			if err := write(bad); err != nil {
				return err
			}
			continue
		}
		if !m.isRequest() || m.Method == string(mcpgo.MethodInitialize) {
			// Notifications in order; initialize before what follows it.
			if resp := s.handle(ctx, ss, m); resp != nil {
				if err := write(resp); err != nil {
					return err
				}
			}
			continue
		}
		requests.Go(func() {
			if resp := s.handle(ctx, ss, m); resp != nil {
				if err := write(resp); err != nil {
					s.log.Debug("answer not written", "session", ss.id, "err", err)
				}
			}
		})
	}
}

// readLine is one line read from the client, or what stopped the reading.
type readLine struct {
	b       []byte
	tooLong []byte // the error to answer a line longer than the limit with
	err     error
}

// readLines reads lines of at most max bytes (their newline not counted)
// from r and hands them to lines until r fails or stop is closed. A longer
// line is not kept: it is read to its end and dropped, and the error
// response to send instead is handed on, answering the id the line's head
// gave, if any.
func readLines(r *bufio.Reader, max int64, lines chan<- readLine, stop <-chan struct{}) {
	for {
		l := readOne(r, max)
		select {
		case lines <- l:
		case <-stop:
			return
		}
		if l.err != nil {
			return
		}
	}
}

// headKept is how much of a too long line is kept to find its id in.
const headKept = 64 << 10

func readOne(r *bufio.Reader, max int64) readLine {
	var line pieces
	var head []byte // the first bytes of a line over max, once the rest is dropped
	var n int64
	for {
		chunk, err := r.ReadSlice('\n')
		n += int64(len(chunk))
		if err == nil {
			n-- // the newline ends the message and is not of it, as over HTTP
		}
		switch {
		case head != nil:
		case n > max:
			head = line.head(chunk)
			line = pieces{}
		default:
			line.add(chunk)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && (head != nil || line.n == 0):
			if head != nil {
				return readLine{tooLong: tooLarge(head, max)}
			}
			return readLine{err: err}
		case err != nil: // a last line without its newline
			return readLine{b: line.bytes()}
		case head != nil:
			return readLine{tooLong: tooLarge(head, max)}
		default:
			return readLine{b: line.bytes()}
		}
	}
}

// tooLarge is the error answering a message over max bytes whose first
// bytes are head.
func tooLarge(head []byte, max int64) []byte {
	return errorResponse(leadingID(head), mcpgo.INVALID_REQUEST,
		"request too large: a message is at most "+size(max)+" here; send less")
}

// size says n bytes in MiB when it is a whole number of them.
func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// leadingID returns the id of the JSON-RPC object whose first bytes are
// head, if it comes before anything that cannot be read without the rest
// (the params of a request, typically).
func leadingID(head []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		if t == "id" {
			return v
		}
	}
	return nil
}
