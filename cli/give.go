package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"syscall"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/spool"
)

// giveMail prints name's unread mail one message at a time and marks each
// read only once the output has taken it (spool's Give): 'ipc check | head
// -3' marks read what head read, not all of it, and a check stopped by a
// signal, SIGKILL included, has marked read only what it had printed.
// It returns the messages given.
func (a *App) giveMail(sp *spool.Spool, name string, o spool.CheckOptions) ([]*spool.Message, error) {
	mb, err := sp.Mailbox(name)
	if err != nil {
		return nil, err
	}
	catchBrokenPipe()
	ctx, stop := signalContext(context.Background())
	defer stop()
	var writeErr error
	n := 0
	given, err := mb.Give(ctx, o, func(m *spool.Message) error {
		b, err := a.messageBytes(sp, name, m, n == 0)
		if err == nil {
			err = handOut(ctx, a.Out, b)
		}
		if err != nil {
			writeErr = err
			return err
		}
		n++
		return nil
	})
	if a.JSON && writeErr == nil && ctx.Err() == nil {
		end := "\n]\n"
		if n == 0 {
			end = "[]\n"
		}
		if _, err := io.WriteString(a.Out, end); err != nil {
			writeErr = err
		}
	}
	switch sig, signalled := signalOf(ctx); {
	case signalled:
		a.sendReceipts(sp, name, given)
		fmt.Fprintf(a.Err, "ipc: interrupted: %d shown and marked read, the rest left unread\n", len(given))
		return nil, silentExit(sig.exitCode())
	case writeErr != nil:
		a.sendReceipts(sp, name, given)
		err = fmt.Errorf("print mail (%d shown and marked read, the rest left unread): %w", len(given), writeErr)
		if platform.BrokenPipe(writeErr) {
			return nil, &exitError{code: 128 + int(syscall.SIGPIPE), err: err}
		}
		return nil, err
	case err != nil && len(given) == 0:
		return nil, fmt.Errorf("check %s: %w", name, err)
	case err != nil:
		a.warn(err)
	}
	a.sendReceipts(sp, name, given)
	return given, nil
}

// messageBytes is one message as check prints it: a block (after a blank
// line unless first), or an element of the JSON array, with its state.
func (a *App) messageBytes(sp *spool.Spool, name string, m *spool.Message, first bool) ([]byte, error) {
	var b bytes.Buffer
	if !a.JSON {
		if !first {
			b.WriteByte('\n')
		}
		printMessages(&b, []*spool.Message{m}, a.color())
		return b.Bytes(), nil
	}
	if first {
		b.WriteString("[\n  ")
	} else {
		b.WriteString(",\n  ")
	}
	enc := json.NewEncoder(&b)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	// Given is read: it is marked so once it is written out.
	if err := enc.Encode(checkedMessage{Message: m, State: spool.Read}); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// handOut writes b to w and returns once the reader has taken it (see
// taken), or with the cause of ctx's end: a write blocked on a full pipe is
// given up when a signal comes, and the message it carried stays unread.
// The goroutine of a write given up that way stays blocked until the
// process exits, which follows at once.
func handOut(ctx context.Context, w io.Writer, b []byte) error {
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(b)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
		return taken(ctx, w)
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
