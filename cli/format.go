package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

// relTime says how long ago t was, for people: "just now", "2 min ago",
// "3 h ago", "yesterday", then a date. A time slightly in the future (clock
// skew between processes) reads as "just now".
func relTime(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < -time.Minute:
		return t.Local().Format("Jan 2 15:04")
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	if t.Local().Format("2006-01-02") == now.Local().AddDate(0, 0, -1).Format("2006-01-02") {
		return "yesterday"
	}
	if t.Local().Year() == now.Local().Year() {
		return t.Local().Format("Jan 2")
	}
	return t.Local().Format("2006-01-02")
}

// span writes a duration the way people say it: "45 min", "2 h",
// "1 h 30 min", "3 days".
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// untilText says when a future instant comes: "12:34 (2 h)"; a date is
// added when it is not today.
func untilText(now, t time.Time) string {
	clock := t.Local().Format("15:04")
	if t.Local().Format("2006-01-02") != now.Local().Format("2006-01-02") {
		clock = t.Local().Format("Jan 2 15:04")
	}
	return fmt.Sprintf("%s (%s)", clock, span(t.Sub(now)))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := underlying(w).(*os.File)
	if !ok {
		return false
	}
	return platform.IsTerminal(f.Fd())
}

// color reports whether output for people should be coloured: only on a
// terminal, and never when NO_COLOR is set (https://no-color.org) or the
// terminal is dumb.
func (a *App) color() bool {
	if a.Getenv("NO_COLOR") != "" || a.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(a.Out)
}

// palette wraps text in ANSI colours when on is true, and leaves it alone
// otherwise.
type palette struct{ on bool }

func (p palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) bold(s string) string   { return p.paint("1", s) }
func (p palette) dim(s string) string    { return p.paint("2", s) }
func (p palette) yellow(s string) string { return p.paint("33", s) }
func (p palette) green(s string) string  { return p.paint("32", s) }
func (p palette) cyan(s string) string   { return p.paint("36", s) }

// printMessages writes msgs for people, one block each: a header line with
// the id, the sender, when it was sent and the subject, then the body
// indented, then the data and the large-file path when present. Whatever
// came from the message is passed through printable first: it is a
// stranger's text on the reader's terminal.
func printMessages(w io.Writer, msgs []*spool.Message, color bool) {
	printMessagesAt(w, msgs, color, time.Now())
}

// printMessagesAt is printMessages with the current time given, for tests.
func printMessagesAt(w io.Writer, msgs []*spool.Message, color bool, now time.Time) {
	p := palette{on: color}
	for i, m := range msgs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		from := rules.Sender(printable(m.From))
		head := []string{p.yellow(printable(m.ID)), "from " + p.bold(from), p.dim(relTime(now, m.Date))}
		if tag := provenanceTag(m); tag != "" {
			head = append(head[:2], append([]string{p.yellow(tag)}, head[2:]...)...)
		}
		body := strings.TrimRight(m.Body, "\n")
		if m.Subject != "" && m.Subject != strings.TrimSpace(body) {
			head = append(head, p.cyan(printable(m.Subject)))
		}
		fmt.Fprintln(w, strings.Join(head, "  "))
		if m.InReplyTo != "" {
			fmt.Fprintf(w, "    %s\n", p.dim("in reply to "+printable(m.InReplyTo)))
		}
		if body != "" {
			for _, line := range strings.Split(printable(body), "\n") {
				fmt.Fprintln(w, strings.TrimRight("    "+line, " "))
			}
		}
		if len(m.Data) > 0 {
			fmt.Fprintf(w, "    %s %s\n", p.dim("data:"), printable(share.DataText(m.Data)))
		}
		if m.LargeFile != "" && !strings.Contains(body, m.LargeFile) {
			fmt.Fprintf(w, "    %s %s (%d bytes)\n", p.dim("full text:"), printable(m.LargeFile), m.LargeSize)
		}
	}
}

// printReceipt tells what became of a message for each recipient:
// "sent to bob (id 3f2a…)", "queued for carol (not yet registered)",
// "forwarded from old to new", and where a large body was saved.
func printReceipt(w io.Writer, verb string, rc spool.Receipt) {
	for _, d := range rc.Delivered {
		switch {
		case d.Forwarded && d.Queued:
			fmt.Fprintf(w, "forwarded from %s to %s (not yet registered; id %s)\n", d.To, d.Mailbox, rc.ID)
		case d.Forwarded:
			fmt.Fprintf(w, "forwarded from %s to %s (id %s)\n", d.To, d.Mailbox, rc.ID)
		case d.Remote:
			fmt.Fprintf(w, "queued for %s (the bridge carries it to that host; id %s)\n", remoteTo(d.To), rc.ID)
		case d.Queued:
			fmt.Fprintf(w, "queued for %s (not yet registered; id %s)\n", d.To, rc.ID)
		default:
			fmt.Fprintf(w, "%s %s (id %s)\n", verb, d.To, rc.ID)
		}
	}
	if rc.LargeFile != "" {
		fmt.Fprintf(w, "large message: the full text is saved in %s\n", rc.LargeFile)
	}
}

// printBroadcast sums up a broadcast in one line: "sent to 9 mailboxes,
// queued for 1 not yet registered (id 3f2a…)", and where a large body was
// saved.
func printBroadcast(w io.Writer, rc spool.Receipt) {
	sent, queued, remote := 0, 0, false
	for _, d := range rc.Delivered {
		if d.Remote {
			remote = true
			continue
		}
		if d.Queued {
			queued++
		} else {
			sent++
		}
	}
	var parts []string
	if sent > 0 {
		parts = append(parts, "sent to "+mailboxes(sent))
	}
	if queued > 0 {
		parts = append(parts, fmt.Sprintf("queued for %d not yet registered", queued))
	}
	if remote {
		parts = append(parts, "queued for every other host")
	}
	fmt.Fprintf(w, "%s (id %s)\n", strings.Join(parts, ", "), rc.ID)
	if rc.LargeFile != "" {
		fmt.Fprintf(w, "large message: the full text is saved in %s\n", rc.LargeFile)
	}
}

// mailboxes returns "1 mailbox" or "3 mailboxes".
func mailboxes(n int) string {
	if n == 1 {
		return "1 mailbox"
	}
	return fmt.Sprintf("%d mailboxes", n)
}

// plural returns "1 message" or "3 messages".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// remoteTo names a remote recipient; "*" is every other host.
func remoteTo(to string) string {
	if to == spool.EnvelopeAllHosts {
		return "every other host"
	}
	return to
}

// provenanceTag marks mail whose sender is not vouched for: "[cli,
// unverified]", "[bridge from h2]"; "" for a session's mail.
func provenanceTag(m *spool.Message) string {
	switch {
	case m.Provenance.Verified():
		return ""
	case m.Provenance == spool.ProvBridge:
		return "[bridge from " + printable(m.ProvenanceHost) + "]"
	}
	return "[" + string(m.Provenance) + ", unverified]"
}
