package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

// maxInput is the most a message read from stdin may hold; bigger text
// belongs in a file whose path is sent instead.
const maxInput = 64 << 20

// usageArgs wraps a cobra argument check so that its complaint exits 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageErr(fmt.Errorf("%s: %w; usage: %s", cmd.Name(), err, cmd.UseLine()))
		}
		return nil
	}
}

// messageText returns the message given as arguments (joined by spaces),
// or read from stdin when the only argument is "-".
func messageText(a *App, args []string) (string, error) {
	if len(args) == 1 && args[0] == "-" {
		b, err := io.ReadAll(io.LimitReader(a.In, maxInput+1))
		if err != nil {
			return "", fmt.Errorf("read message from stdin: %w", err)
		}
		if len(b) > maxInput {
			return "", usageErr(fmt.Errorf("message on stdin is over %d MiB: save it to a file and send its path", maxInput>>20))
		}
		return string(b), nil
	}
	return strings.Join(args, " "), nil
}

// parseData checks --data: empty, or a JSON object.
func parseData(s string) (json.RawMessage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, usageErr(fmt.Errorf(`--data must be a JSON object, like '{"key":"value"}'`))
	}
	if dec.More() {
		return nil, usageErr(errors.New("--data must be one JSON object, with nothing after it"))
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
		if err := spool.ValidName(n); err != nil {
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

// spoolRoot returns the spool directory the App would open, without
// opening or creating it.
func (a *App) spoolRoot() string {
	if a.Home != "" {
		return a.Home
	}
	if h := a.Getenv("IPC_HOME"); h != "" {
		return h
	}
	root, _ := spool.DefaultRoot()
	return root
}

// knownNames lists the mailboxes of the spool without opening it, so shell
// completion never creates a spool or fails on an unsafe one.
func (a *App) knownNames() []string {
	ents, err := os.ReadDir(filepath.Join(a.spoolRoot(), "mail"))
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
			return nil, cobra.ShellCompDirectiveDefault
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
