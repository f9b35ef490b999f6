package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

// maxInput is the most a message read from stdin may hold, the spool's
// one limit; bigger text belongs in a file whose path is sent instead.
const maxInput = spool.MaxMessage

// noArgs refuses arguments to a command that takes none (exit 2):
// "check takes no arguments, got "extra"".
var noArgs = argsRule(0, 0, "", "")

// argsRule checks the number of arguments a command gets: at least min,
// at most max (-1: no limit). Too few is the usage error few; too many is
// many (by default "CMD takes no arguments") followed by what was given.
// Either exits 2.
func argsRule(min, max int, few, many string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		switch {
		case len(args) < min:
			return usageErr(errors.New(few))
		case max >= 0 && len(args) > max:
			msg := many
			if msg == "" {
				msg = name + " takes no arguments"
			}
			got := make([]string, len(args))
			for i, s := range args {
				got[i] = strconv.Quote(s)
			}
			return usageErr(fmt.Errorf("%s, got %s", msg, strings.Join(got, " ")))
		}
		return nil
	}
}

// longText is how much of stdin send, reply and broadcast read of their
// message before handing the rest to the spool as a stream. A text this
// short is read whole and checked before the spool is touched.
const longText = 64 << 10

// input is a message as a command read it: whole in body or, from a long
// stdin, as the stream tr (its first bytes, then the rest still to come),
// which checks it (NUL, UTF-8, the size limit) while the spool reads it.
type input struct {
	body string
	in   *cappedReader     // under tr: stdin, limited
	tr   *share.TextReader // nil for a text read whole
}

// draft is a draft from from of the text (its head, and the stream of
// the rest when there is one) and data.
func (t input) draft(from string, data json.RawMessage) spool.Draft {
	d := spool.Draft{From: from, Body: t.body, Data: data}
	if t.tr != nil {
		d.Text = t.tr
	}
	return d
}

// readText reads the message given as arguments, or on stdin when the
// only argument is "-": whole, or, when stdin holds more than longText,
// its head and the stream of the rest.
func readText(a *App, args []string) (input, error) {
	if len(args) != 1 || args[0] != "-" {
		t := input{body: strings.Join(args, " ")}
		return t, textProblem([]byte(t.body))
	}
	in := &cappedReader{r: a.In, left: maxInput}
	const limit = longText + 1
	b, err := readAtMost(in, limit)
	switch { // the head is far under the cap: too much shows in the stream (problem)
	case err != nil:
		return input{}, fmt.Errorf("read message from stdin: %w", err)
	case len(b) < limit:
		return input{body: string(b)}, textProblem(b)
	}
	tr := share.NewTextReader(io.MultiReader(bytes.NewReader(b), in))
	return input{in: in, tr: tr}, nil
}

// problem says what in t made the spool stop reading it (err, the
// spool's error, wraps it): a bad byte or too much on stdin; nil for
// anything else.
func (t input) problem(err error) error {
	switch {
	case t.tr == nil:
		return nil
	case t.tr.Err() != nil:
		return notText(t.tr.Err())
	case t.in.over:
		return errStdinTooLarge
	case errors.Is(err, spool.ErrEmpty):
		return checkNotEmpty("", nil)
	}
	return nil
}

// errStdinTooLarge refuses a message on stdin over the one limit.
var errStdinTooLarge = usageErr(fmt.Errorf("message on stdin is over %d MiB: save it to a file and send its path", maxInput>>20))

// textProblem is the usage error for a message b that is not text, or nil.
func textProblem(b []byte) error {
	if err := share.TextProblem(b); err != nil {
		return notText(err)
	}
	return nil
}

// notText is the usage error for a message with the problem err.
func notText(err error) error {
	return usageErr(fmt.Errorf("message %w; to send a binary file, share its path", err))
}

// cappedReader reads r up to left bytes; reading more fails and sets over.
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.over {
		return 0, errStdinTooLarge
	}
	p = p[:min(int64(len(p)), c.left+1)]
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		c.over = true
		return 0, errStdinTooLarge
	}
	return n, err
}

// readAtMost reads r to its end or to limit bytes. Stdin redirected from a
// regular file is read into a buffer of its size, not one grown by
// doubling, so memory stays near the message's size.
func readAtMost(in *cappedReader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if f, ok := in.r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			buf.Grow(int(min(fi.Size(), limit)) + bytes.MinRead)
		}
	}
	_, err := buf.ReadFrom(io.LimitReader(in, limit))
	return buf.Bytes(), err
}

// parseData checks --data: empty, or one JSON object, kept byte for byte.
func parseData(s string) (json.RawMessage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if err := share.TextProblem([]byte(s)); err != nil {
		return nil, usageErr(fmt.Errorf("--data %w", err))
	}
	if err := spool.CheckData([]byte(s)); err != nil {
		return nil, usageErr(fmt.Errorf("--data: %w", err))
	}
	return json.RawMessage(s), nil
}

// recipients splits a comma-separated list of names, checking each and
// dropping repeats.
func recipients(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if err := spool.ValidAddress(n); err != nil {
			return nil, usageErr(fmt.Errorf("recipient: %w", err))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// validName checks a name given as an argument; a bad one exits 2.
func validName(n string) error {
	if err := spool.ValidName(n); err != nil {
		return usageErr(err)
	}
	return nil
}

// knownNames lists the mailboxes of the spool without opening it, so shell
// completion never creates a spool or fails on an unsafe one.
func (a *App) knownNames() []string {
	root, err := a.root()
	if err != nil {
		return nil
	}
	ents, err := os.ReadDir(filepath.Join(root, "mail"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && spool.ValidName(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	return names
}

// completeNames completes the first argument with mailbox names; with
// lists set, a comma-separated list ("bob,ca<TAB>") is completed too.
func completeNames(a *App, lists bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp // a message, not a file
		}
		prefix := ""
		if i := strings.LastIndexByte(toComplete, ','); lists && i >= 0 {
			prefix = toComplete[:i+1]
		}
		var out []cobra.Completion
		for _, n := range a.knownNames() {
			if c := prefix + n; strings.HasPrefix(c, toComplete) {
				out = append(out, c)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// checkNotEmpty refuses a message with neither text nor data before the
// spool is touched.
func checkNotEmpty(body string, data json.RawMessage) error {
	if strings.TrimSpace(body) == "" && len(data) == 0 {
		return usageErr(fmt.Errorf("%w: give the text as arguments, or '-' to read it from stdin", spool.ErrEmpty))
	}
	return nil
}
