package spool

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrBadName reports a name outside ^[A-Za-z0-9_-]{1,32}$.
	ErrBadName = errors.New("invalid name")
	// ErrNameTaken reports a name held by another live process.
	ErrNameTaken = errors.New("name taken")
	// ErrRateLimited reports a sender over its messages-per-minute limit.
	ErrRateLimited = errors.New("rate limited")
	// ErrQuota reports a mailbox over its unread limit.
	ErrQuota = errors.New("mailbox full")
	// ErrUnsafe reports a spool whose ownership or permissions let others in.
	ErrUnsafe = errors.New("spool unsafe")
	// ErrEmpty reports a message with no text.
	ErrEmpty = errors.New("empty message")
	// ErrNotFound reports a message or name that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrTooSoon reports a rename attempted within an hour of the last one.
	ErrTooSoon = errors.New("too soon")
	// ErrBusy reports a drop-in still being written in place (the rule
	// of internal/inplace); it is left where it is for a later look.
	ErrBusy = errors.New("still being written")
	// ErrBadID reports a message id too short to look up.
	ErrBadID = errors.New("invalid message id")
	// ErrBadConfig reports a limit set to something that is not a number.
	ErrBadConfig = errors.New("bad configuration")
	// ErrTooLarge reports a message over MaxMessage.
	ErrTooLarge = errors.New("message too large")
	// ErrBadSignature reports a message whose HMAC does not verify.
	ErrBadSignature = errors.New("bad signature")
)

// LimitError is returned when a limit refuses a message. It wraps
// ErrRateLimited or ErrQuota and says when trying again may succeed.
type LimitError struct {
	Err        error         // ErrRateLimited or ErrQuota
	Who        string        // the sender or mailbox concerned
	Limit      int           // the limit in force
	RetryAfter time.Duration // 0 when unknown (a full mailbox waits for its reader)
}

func (e *LimitError) Error() string {
	switch {
	case errors.Is(e.Err, ErrRateLimited):
		return fmt.Sprintf("%s: %s sent %d messages in the last minute; retry in %d s",
			e.Err, e.Who, e.Limit, int((e.RetryAfter+time.Second-1)/time.Second))
	default:
		return fmt.Sprintf("%s: %s has %d unread messages; retry once it has read some",
			e.Err, e.Who, e.Limit)
	}
}

func (e *LimitError) Unwrap() error { return e.Err }

// TakenError is returned when a name is held by another live process.
type TakenError struct {
	Name string
	PID  int // 0 when unknown
}

func (e *TakenError) Error() string {
	switch {
	case e.PID == os.Getpid():
		return fmt.Sprintf("name %q is already held by this process", e.Name)
	case e.PID > 0:
		return fmt.Sprintf("name %q is held by live process %d; choose another name, or stop that process", e.Name, e.PID)
	}
	return fmt.Sprintf("name %q is held by another live process; choose another name", e.Name)
}

func (e *TakenError) Unwrap() error { return ErrNameTaken }

// QuarantineError reports a file that could not be read as mail and was
// moved to quarantine/ (a symlink, a FIFO, another user's file, a forged
// signature, an unparsable message). Readers report it and go on: the
// other messages are still good.
type QuarantineError struct {
	Path string // where the file was found
	Why  string // why it is not mail
}

func (e *QuarantineError) Error() string {
	return fmt.Sprintf("%s: quarantined: %s", e.Path, e.Why)
}
