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
//   - A Feed opened for Arrivals (OpenWith) is told only of mail that
//     becomes unread after Follow, and one opened for NamesOnly gets file
//     names without reading them: a consumer that lists what is there
//     itself pays nothing for a mailbox of a million.
//   - Reports may repeat (a rescan after a kernel queue overflow, a message
//     moved back to new/): consumers key on Message.ID. What a rescan
//     found says so (Event.Rescan, numbered per rescan), and an Arrivals
//     feed gets it by name only: such a consumer lists the mailbox again
//     itself, once per rescan, rather than take it one by one as news.
//     Mail read by someone else before the Follower got to it is not
//     reported.
//   - A mailbox that does not exist yet is followed all the same: it is
//     looked for on every poll interval, and its mail is reported once it
//     appears. No directory is created. FollowAll follows every mailbox,
//     including those created later (found on the poll interval too).
//   - A slow consumer never holds up the others or the watcher: each Feed
//     queues what its reader has not taken yet, without limit and without
//     dropping anything.
//   - Close stops everything: when Feed.Close returns its channel is closed
//     and its goroutine gone; when Follower.Close returns every Feed is
//     closed and no goroutine of the package remains.
//
// Unread means a message without the S flag, in new/ or in cur/ (as
// spool defines it): the Follower watches both directories of a followed
// mailbox, so a message listed by a mail client or one a person marked
// unread again is reported like an arrival. Mail moving from new/ to cur/
// unseen is reported again; mail being read (S added) is not. Where the
// watcher lists directories (polling, kqueue-directory mode), mail read
// and marked unread again between two listings is not reported again.
//
// follow stands on spool and watcher only. It must not import cli, mcp,
// leader, cobra, mcp-go or fsnotify: front ends import it, never the
// reverse.
package follow
