// Package watcher reports complete files that appear in directories, such as
// the new/ folders of Maildirs, within milliseconds of their arrival.
//
// Guarantees:
//
//   - Every regular file whose name does not start with "." is reported at
//     least once: the files present when a directory is added (the watch is
//     set up before the directory is read, so nothing lands unseen in
//     between) and every file that arrives later.
//   - Reports may repeat (a start scan racing a Create, rescans); consumers
//     must be idempotent, as Maildir readers are: they rename files out of
//     new/. In the steady state a file is reported once per arrival. What
//     a rescan found says so (Event.Rescan, the rescan's number), so a
//     consumer can take it as "present", not as news.
//   - A file renamed into a directory is reported at once. A file written in
//     place is reported only once it is complete by the one rule for such
//     files (internal/inplace: no longer open for writing where the system
//     can tell, else left alone for inplace.Quiet). Scans (start, Rescan, overflow) report what is present
//     without waiting, except files the Watcher already sees being written.
//   - Bursts lose nothing: what Events cannot take yet waits in a queue (one
//     entry per file) while inotify is still read, nothing is ever dropped,
//     and when the kernel's event queue overflows every directory is
//     rescanned.
//   - On macOS and FreeBSD the Watcher watches each directory's own vnode
//     with kqueue (ModeDirectory: one descriptor per directory, not per
//     file as fsnotify's kqueue backend would) and lists a directory that
//     changed to find its new names (dirnotify.go).
//   - Without the system's notifications (unavailable, watch or descriptor
//     limit reached, IPC_POLL=1) the Watcher polls every PollInterval
//     instead; Mode and Polling report it. Listings cannot tell renamed
//     from written files, so every file a poll or a directory change finds
//     is checked by the in-place rule. A listing sees only names that
//     differ from the last one: a name that goes and comes back between
//     two listings (a Maildir flag added and taken off again) is not
//     reported again.
//   - A watched directory that is removed or renamed away is watched again
//     when it reappears.
//   - Close stops everything: when it returns no goroutine of the Watcher
//     remains and Events is closed. Cancelling the context does the same.
//
// One goroutine owns all state; the methods of a Watcher are safe for
// concurrent use.
//
// watcher knows nothing of mail: it must not import any package of ipc but
// internal/platform. Only follow starts a Watcher; everything else follows
// mail through a follow.Feed (ARCHITECTURE.md).
package watcher
