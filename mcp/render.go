package mcp

// Rendering: the channel events a message or a backlog becomes.

import (
	"fmt"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// messageItem is the channel event for m, found in to's mailbox. The meta
// keys are identifiers (letters, digits, underscores) and every value a
// string, as Claude Code requires; each becomes an attribute of the
// <channel> tag the model reads.
func messageItem(to string, m *spool.Message) *pushItem {
	from := m.From
	if from == "" {
		from = "unknown"
	}
	meta := map[string]string{"from": from, "to": to, "message_id": m.ID, "thread": m.Thread(),
		"provenance": string(m.Provenance)}
	if m.ProvenanceHost != "" {
		meta["provenance_host"] = m.ProvenanceHost
	}
	if m.Subject != "" {
		meta["subject"] = m.Subject
	}
	return &pushItem{id: m.ID, path: m.Path, to: to, params: map[string]any{"content": channelContent(m), "meta": meta}}
}

// channelContent is a message as the model should read it: the text, then
// the data that came with it.
func channelContent(m *spool.Message) string {
	body := strings.TrimRight(m.Body, "\n")
	if len(m.Data) > 0 {
		if body == "" {
			return "data: " + string(m.Data)
		}
		body += "\n\ndata: " + string(m.Data)
	}
	if body == "" {
		body = "(empty message)"
	}
	if c := m.Caution(); c != "" {
		body = fmt.Sprintf("[%s: %s]\n%s", strings.ToUpper(string(m.Provenance)), c, body)
	}
	return body
}

// backlogNotice is the one event that stands for n unread messages of
// name the session has not had (of unread in all), pushed instead of n
// events.
func backlogNotice(name string, n, unread int, now time.Time) *pushItem {
	content := fmt.Sprintf("%d unread messages are waiting for %s; they are not shown one by one. Call check to read them.", n, name)
	if unread > n {
		content = fmt.Sprintf("%d unread messages are waiting for %s, %d of them not shown or counted before; they are not shown one by one. Call check to read them.", unread, name, n)
	}
	return &pushItem{
		id: fmt.Sprintf("notice:%s:%d", name, now.UnixNano()),
		params: map[string]any{
			"content": content,
			"meta":    map[string]string{"from": "ipc", "to": name, "subject": fmt.Sprintf("%d unread messages waiting", max(n, unread))},
		},
	}
}
