// Package leader runs the spool's leader: the one process, among all the
// long-running ipc processes on a spool, that routes outbox/ drop-ins,
// moves mail along forwards, expires orphaned mail and cleans tmp/; keeps
// the index of unread mail in every mailbox's cur/ (spool.UnseenKeeper)
// from the watcher's reports, so that readers never list a cur/ of read
// mail to find what a mail client left unread there; and, when notmuch is
// installed, keeps the search index up to date (see package search).
//
// It is a package of its own, beside those DESIGN.md lists, because the
// leader is neither the on-disk format (spool) nor file watching
// (watcher): it is the loop that joins them under spool.lock.
//
// Guarantees: at most one process leads a spool at a time (flock(2) on
// spool.lock); every process running Run tries the lock every 100–200 ms,
// so when the leader dies, SIGKILL included, another takes over within a
// second. Every step the leader takes is a spool operation that is
// idempotent and crash-safe, so a leader killed at any instant loses and
// doubles nothing: its successor finishes the work. Run returns only once
// every goroutine it started has stopped.
//
// leader stands on follow, search and spool: it must not import cli or mcp,
// and it watches only through a follow.Feed on the process's Follower
// (ARCHITECTURE.md).
package leader
