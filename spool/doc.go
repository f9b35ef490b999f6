// Package spool is ipc's on-disk mail store: a directory of Maildirs, one per
// agent name, plus the files that route, forward and limit mail between them.
//
// Guarantees: a message reported delivered has been written to tmp/, fsynced,
// renamed into new/ and the directory fsynced, so it survives a crash or a
// power cut (concurrent deliveries share that fsync of new/, each only
// with one that began after its rename: commit.go; a mailbox's own
// directories are fsynced before its first delivery, once: durable.go);
// no half-written file is ever visible in new/. Unread means
// Maildir's "no S flag", in new/ or in cur/ (mail clients move what they
// list to cur/ without S; a person who clears S makes a message unread
// again). A message is claimed by renaming its file to cur/ with S added to
// its flags, so when several readers race each message goes to exactly one
// of them. Nothing accepted is ever dropped:
// what cannot be delivered is moved to quarantine/ with the reason beside it.
//
// No symbolic link in a mailbox is followed, not even one swapped in
// during an operation: each operation holds the mailbox's directories
// open, opened one component at a time without following a link, and
// does all it does relative to them (dirs.go; on Windows, by path after a
// check, see platform.Dir).
//
// Any number of processes may use one spool at once without a server; the
// only locks are files locked with flock(2) (LockFileEx on Windows) that
// are never deleted; a holder records itself in a .holder file beside its
// lock. A name's owner.lock is opened and locked, and its owner.holder
// written and removed, only in the held mailbox directory (ownerlock.go). System calls go through internal/platform. The
// package knows nothing of command lines, MCP or file watching.
//
// spool stands on the standard library and internal/platform alone: it must
// not import any other package of ipc, nor cobra, mcp-go or fsnotify
// (ARCHITECTURE.md).
package spool
