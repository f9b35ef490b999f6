// Package awareness keeps what each agent session has been told about its
// mail and whether it asked to be kept at it: the state behind Claude
// Code's hooks (`ipc hook`), the waking hook and auto-check, shared by
// every front end that tells a session of mail so that a message is
// announced to a session once, whichever path carried it.
//
// It owns three records, kept through the spool's Records (atomic files,
// never-deleted lock files, no symbolic link followed):
//
//   - auto-check (state/autocheck/NAME.json): the original tool's "auto
//     checking every N minutes"; with it on the Stop hook keeps an agent
//     working while mail waits, and MCP's auto_process records each check;
//   - the told mark (state/hook/NAME.DIGEST, not fsynced): the arrival time of the
//     newest message a session was told of, changed only under
//     state/autocheck/NAME.surface.lock;
//   - the waker (state/wake/NAME.DIGEST): the pid of the one process
//     waiting to wake an idle session.
//
// Told marks and wakers older than a week are forgotten by Forget, which
// the leader runs with its cleaning. It stands on spool alone and must not
// import follow, watcher or any front end; the words a notice says are the
// front end's.
package awareness
