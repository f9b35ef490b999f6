package mcp

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

// fail turns err into a tool error: isError set, one sentence saying what
// went wrong and what to do.
func fail(err error) *mcpgo.CallToolResult { return mcpgo.NewToolResultError(sentence(err)) }

// failf is fail with a message of its own.
func failf(format string, a ...any) *mcpgo.CallToolResult {
	return mcpgo.NewToolResultError(sentence(fmt.Errorf(format, a...)))
}

// sentence words err for a model.
func sentence(err error) string {
	var (
		limit   *spool.LimitError
		taken   *spool.TakenError
		refused *share.RefusedError
	)
	var s string
	switch {
	case errors.As(err, &limit) && errors.Is(err, spool.ErrRateLimited):
		s = fmt.Sprintf("Rate limit: %s has sent %d messages in the last minute; wait %s, then try again",
			limit.Who, limit.Limit, roundUp(limit.RetryAfter))
	case errors.As(err, &limit):
		s = fmt.Sprintf("The mailbox of %s is full (%d unread messages); try again once %s has read some",
			limit.Who, limit.Limit, limit.Who)
	case errors.As(err, &taken):
		held := "another live process"
		if taken.PID > 0 {
			held = fmt.Sprintf("another live process (pid %d)", taken.PID)
		}
		s = fmt.Sprintf("The name %s is held by %s; choose another name, or stop that process first", taken.Name, held)
	case errors.Is(err, spool.ErrEmpty):
		s = "The message is empty: give some content (or data)"
	case errors.As(err, &refused):
		s = fmt.Sprintf("Cannot share %s: %s", refused.Path, refused.Reason)
	default:
		s = err.Error()
	}
	return tidy(s)
}

// clause words err for the middle of a sentence: as sentence does, but
// without the capital (unless the word is all capitals) and the full stop,
// so "…: "+clause(err)+"; …" reads as one sentence.
func clause(err error) string {
	s := strings.TrimSuffix(sentence(err), ".")
	r, n := utf8.DecodeRuneInString(s)
	if next, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r) && !unicode.IsUpper(next) {
		s = string(unicode.ToLower(r)) + s[n:]
	}
	return s
}

// tidy drops the package prefixes errors carry, starts with a capital and
// ends with a full stop.
func tidy(s string) string {
	for _, p := range []string{"spool: ", "mcp: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	s = strings.TrimSpace(s)
	if r, n := utf8.DecodeRuneInString(s); n > 0 && unicode.IsLower(r) {
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// roundUp says d rounded up to whole seconds, at least one: "42 s",
// "2 min 5 s".
func roundUp(d time.Duration) string {
	secs := int(max(time.Second, (d+time.Second-1)/time.Second*time.Second) / time.Second)
	if secs < 120 {
		return fmt.Sprintf("%d s", secs)
	}
	return fmt.Sprintf("%d min %d s", secs/60, secs%60)
}
