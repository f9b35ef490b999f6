package mcp

import (
	"fmt"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// Text written for a model: short sentences, the facts it needs to act,
// ids where it may want to answer.

// ago says how long before now t was: "just now", "2 min ago", "3 h ago",
// "4 days ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "never"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// plural returns "1 message" or "3 messages".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// firstLine returns the first non-blank line of s, cut to n runes.
func firstLine(s string, n int) string {
	var line string
	for _, l := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(l); line != "" {
			break
		}
	}
	if r := []rune(line); len(r) > n {
		line = string(r[:n-1]) + "…"
	}
	return line
}

// remoteTo names a remote recipient; "*" is every other host.
func remoteTo(to string) string {
	if to == spool.EnvelopeAllHosts {
		return "every other host"
	}
	return to
}
