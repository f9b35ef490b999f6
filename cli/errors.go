package cli

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"github.com/claude-ipc/ipc/bridge"
	"github.com/claude-ipc/ipc/dovecot"
	"github.com/claude-ipc/ipc/spool"
)

// exitError carries an exit code with an error. quiet: the command has
// said it on stderr itself, so Run prints no line of its own (--json
// still carries the text in its error object).
type exitError struct {
	code  int
	err   error
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as the caller's mistake (exit 2).
func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// errSilent ends a command with its exit code and nothing more printed.
var errSilent = errors.New("")

// silentExit returns an error that makes the process exit with code quietly.
func silentExit(code int) error { return &exitError{code: code, err: errSilent, quiet: true} }

// errWhoAreYou is the one answer, for every command, when the caller
// gave no name and none can be found: a usage mistake (exit 2).
var errWhoAreYou = usageErr(errors.New("who are you? give --as NAME or set IPC_NAME"))

// exitKinds names each exit code in the --json error object, as the
// README's table of exit codes does.
var exitKinds = map[int]string{
	ExitTimeout: "timeout",
	ExitUsage:   "usage",
	ExitRefused: "refused",
	ExitSpool:   "spool",
	128 + 2:     "interrupted",   // SIGINT
	128 + 13:    "output closed", // SIGPIPE
	128 + 15:    "terminated",    // SIGTERM
}

// errorObject is what --json prints on stdout when a command fails
// before it printed anything there: {"error": {"code": 3, "kind":
// "refused", "message": "…"}}. code is the exit code.
type errorObject struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    int    `json:"code"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// newErrorObject describes err, which ends the process with code.
func newErrorObject(code int, err error) errorObject {
	msg := err.Error()
	if msg == "" {
		msg = exitKinds[code]
	}
	return errorObject{errorBody{Code: code, Kind: exitKinds[code], Message: msg}}
}

// ExitCode maps an error to the process exit code: one place for the
// whole command line.
func ExitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, spool.ErrBadName), errors.Is(err, spool.ErrEmpty), errors.Is(err, spool.ErrBadConfig), errors.Is(err, spool.ErrBadID):
		return ExitUsage
	case errors.Is(err, spool.ErrNameTaken), errors.Is(err, spool.ErrRateLimited),
		errors.Is(err, spool.ErrQuota), errors.Is(err, spool.ErrTooSoon),
		errors.Is(err, spool.ErrNotFound), errors.Is(err, spool.ErrBadSignature),
		errors.Is(err, dovecot.ErrNotInstalled), errors.Is(err, dovecot.ErrVersion),
		errors.Is(err, dovecot.ErrRoot), errors.Is(err, dovecot.ErrRunning):
		return ExitRefused
	case errors.Is(err, bridge.ErrConfig):
		return ExitUsage
	case errors.Is(err, spool.ErrUnsafe), errors.Is(err, spool.ErrUnavailable),
		errors.Is(err, bridge.ErrAuth), errors.Is(err, bridge.ErrSettings), errors.Is(err, bridge.ErrUnreachable):
		return ExitSpool
	case errors.As(err, new(*fs.PathError)), errors.As(err, new(*os.LinkError)), errors.As(err, new(syscall.Errno)):
		return ExitSpool // a full disk, a read-only or missing spool
	}
	return ExitRefused
}
