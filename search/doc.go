// Package search finds messages in every mailbox of a spool: by sender,
// mailbox, date range, words, thread, id and unread state (see Syntax).
// The command line (ipc search), the MCP tool and the web inbox all search
// through it.
//
// Two engines give the same hits. When notmuch is installed and its index
// of the spool (state/notmuch/, kept up to date by the leader through
// Index.KeepFresh) holds every change, a query by words or sender takes
// its candidates from the index; otherwise, and for queries by mailbox,
// date, thread, id or unread state alone, the spool is scanned: file names
// are filtered first (mailbox, unread state, arrival time, id), then the
// remaining files are read newest first, in parallel, until enough match.
// Either way every hit is read from its file and matched here, so an index
// that lags behind proposes too much or too little, never a wrong hit.
//
// Guarantees: a search never writes to a mailbox (notmuch is configured
// to tag nothing and never to rename mail); it reads through the spool, so
// a file that is not safe mail is quarantined as every reader does. A
// leader that stops interrupts notmuch (SIGINT, killed after 5 s) rather
// than kill it, and an index whose creation a kill left unfinished (no
// Xapian revision file) is made again from the mail on the next update.
//
// search stands on spool alone: it must not import follow, watcher, leader
// or any front end (ARCHITECTURE.md).
package search
