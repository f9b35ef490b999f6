package mcp

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

// Text written for a model: short sentences, the facts it needs to act,
// ids where it may want to answer.

// sortMessages orders messages oldest first, as Check does.
func sortMessages(ms []*spool.Message) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].Date.Equal(ms[j].Date) {
			return ms[i].Date.Before(ms[j].Date)
		}
		return ms[i].Path < ms[j].Path
	})
}

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

// messageBlocks writes messages as the original tool's "From / Time / Content /
// Data" blocks, with the id to reply to.
func messageBlocks(msgs []*spool.Message, now time.Time) string {
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteString("\n")
		}
		from := rules.Sender(m.From)
		if c := m.Caution(); c != "" {
			from += fmt.Sprintf(" (%s: %s)", strings.ToUpper(string(m.Provenance)), c)
		}
		fmt.Fprintf(&b, "From: %s\n", from)
		fmt.Fprintf(&b, "Time: %s (%s)\n", m.Date.Local().Format("2006-01-02 15:04:05 -0700"), ago(now, m.Date))
		fmt.Fprintf(&b, "ID: %s\n", m.ID)
		if m.InReplyTo != "" {
			fmt.Fprintf(&b, "In reply to: %s\n", m.InReplyTo)
		}
		fmt.Fprintf(&b, "Content: %s\n", strings.TrimRight(m.Body, "\n"))
		if len(m.Data) > 0 {
			fmt.Fprintf(&b, "Data: %s\n", share.DataText(m.Data))
		}
		if m.LargeFile != "" {
			fmt.Fprintf(&b, "Full text: %s (%d bytes)\n", m.LargeFile, m.LargeSize)
		}
	}
	return b.String()
}

// receiptText says what became of a message for each recipient, in the
// original tool's words: "sent to bob", "queued for carol (not yet registered)",
// "forwarded from old to new".
func receiptText(rc spool.Receipt) string {
	var lines []string
	for _, d := range rc.Delivered {
		switch {
		case d.Forwarded && d.Queued:
			lines = append(lines, fmt.Sprintf("forwarded from %s to %s, queued (not yet registered)", d.To, d.Mailbox))
		case d.Forwarded:
			lines = append(lines, fmt.Sprintf("forwarded from %s to %s", d.To, d.Mailbox))
		case d.Remote:
			lines = append(lines, fmt.Sprintf("queued for %s (the bridge carries it to that host)", remoteTo(d.To)))
		case d.Queued:
			lines = append(lines, fmt.Sprintf("queued for %s (not yet registered)", d.To))
		default:
			lines = append(lines, "sent to "+d.To)
		}
	}
	s := strings.Join(lines, "\n")
	if rc.ID != "" {
		s += fmt.Sprintf(" (id %s)", rc.ID)
	}
	if rc.LargeFile != "" {
		s += fmt.Sprintf("\nThe message is large: its full text is saved in %s and the recipient gets a summary with that path.", rc.LargeFile)
	}
	return s
}

// namesText lists every known name for list_instances.
func namesText(names []spool.NameInfo, me string, now time.Time) string {
	if len(names) == 0 {
		return "No names yet: nobody has registered or received mail."
	}
	online := 0
	width := 0
	for _, n := range names {
		if n.Online {
			online++
		}
		width = max(width, len(n.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d online:\n", plural(len(names), "name"), online)
	for _, n := range names {
		state := "offline"
		if n.Online {
			state = "online"
		}
		fmt.Fprintf(&b, "  %-*s  %-7s  %s unread  last seen %s", width, n.Name, state, fmt.Sprint(n.Unread), ago(now, n.LastSeen))
		switch {
		case n.Forward != nil:
			fmt.Fprintf(&b, "  (renamed: mail forwarded to %s until %s)", n.Forward.To, n.Forward.Until.Local().Format("15:04"))
		case !n.Registered:
			b.WriteString("  (never registered: mail waits for it)")
		}
		if n.Name == me {
			b.WriteString("  ← you")
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
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
