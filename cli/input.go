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

// messageText returns the message given as arguments (joined by spaces),
// or read from stdin when the only argument is "-". Text that is not
// UTF-8, or holds NUL bytes, is refused (exit 2).
func messageText(a *App, args []string) (string, error) {
	text := strings.Join(args, " ")
	if len(args) == 1 && args[0] == "-" {
		b, err := readAtMost(a.In, maxInput+1)
		if err != nil {
			return "", fmt.Errorf("read message from stdin: %w", err)
		}
		if len(b) > maxInput {
			return "", usageErr(fmt.Errorf("message on stdin is over %d MiB: save it to a file and send its path", maxInput>>20))
		}
		text = string(b)
	}
	if err := share.TextProblem([]byte(text)); err != nil {
		return "", usageErr(fmt.Errorf("message %w; to send a binary file, share its path", err))
	}
	return text, nil
}

// readAtMost reads r to its end or to limit bytes. A regular file (stdin
// redirected from one) is read into a buffer of its size, not one grown
// by doubling, so memory stays near the message's size.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			buf.Grow(int(min(fi.Size(), limit)) + bytes.MinRead)
		}
	}
	_, err := buf.ReadFrom(io.LimitReader(r, limit))
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
