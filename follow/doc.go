// Package follow turns mailboxes into streams of messages as they become
// unread: the one place in a process that knows mail has arrived.
//
// A process makes one Follower (one watcher, so one inotify instance) and
// opens a Feed for each consumer: ipc wait and ipc watch, the MCP server's
// push and resources, the leader's forwards, a bridge, a web inbox. A Feed
// follows any number of mailboxes by name (Follow) and, for the leader,
// plain directories (Watch); its Events channel carries one Event per
// file that appeared.
//
// Guarantees:
//
//   - Every message that becomes unread in a followed mailbox while it is
//     followed, and every one unread when Follow is called, is reported at
//     least once, read (not claimed) with the checks spool applies: a file
//     that is not mail is quarantined by the spool and reported as an Event
//     whose Err is a *spool.QuarantineError.
//   - Reports may repeat (a rescan after a kernel queue overflow, a message
//     moved back to new/): consumers key on Message.ID. Mail read by someone
//     else before the Follower got to it is not reported.
//   - A mailbox that does not exist yet is followed all the same: it is
//     looked for on every poll interval and after every event, and its
//     mail is reported once it appears. No directory is created.
//   - A slow consumer never holds up the others or the watcher: each Feed
//     queues what its reader has not taken yet, without limit and without
//     dropping anything.
//   - Close stops everything: when Feed.Close returns its channel is closed
//     and its goroutine gone; when Follower.Close returns every Feed is
//     closed and no goroutine of the package remains.
//
// Unread today means a file in new/. When the spool treats mail in cur/
// without the S flag as unread too, the Follower watches cur/ as well and
// reports such mail the same way; consumers need no change.
//
// follow stands on spool and watcher only. It must not import cli, mcp,
// leader, cobra, mcp-go or fsnotify: front ends import it, never the
// reverse.
package follow
