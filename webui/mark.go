package webui

import "github.com/claude-ipc/ipc/spool"

// markSeen sets or clears a message's S flag.
func markSeen(mb *spool.Mailbox, m *spool.Message, seen bool) error {
	return mb.MarkSeen(m, seen)
}
