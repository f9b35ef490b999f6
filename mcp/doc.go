// Package mcp is ipc's MCP server: the original tool's tools (register, send, check,
// list_instances, rename, share_file, share_command, auto_process) plus
// reply and wait, and the resources ipc://status and ipc://inbox/{name},
// over the spool, with new mail pushed to the client the moment it lands.
//
// One Server is one agent. register claims the name (spool.Claim), so the
// name is online while the process lives and offline as soon as it exits
// or dies, and the name's new/ folder is watched. Each message that lands
// there is pushed to every initialized client session as a Claude Code
// channel event (notifications/claude/channel) and as
// notifications/resources/updated to sessions subscribed to its inbox.
//
// Guarantees:
//   - Nothing is sent to a session before it has initialized; mail found
//     earlier waits for the first session that has.
//   - A push the transport refuses (its buffer is full because the client
//     lags) is kept and retried with backoff, never dropped; a message is
//     marked pushed only once the session has accepted it.
//   - A Server pushes a message at most once to a session (a bounded set of
//     pushed ids absorbs the watcher's repeats and renames).
//   - Pushing never claims: a message stays unread until check, wait or
//     auto_process reads it.
//   - Every tool failure (a bad name, a limit, an unknown message, a caller
//     not registered) is a tool result with isError set and a sentence that
//     says what to do, never a protocol error or a crash.
//
// Over stdio nothing but the protocol is written to stdout; status goes to
// the Logger.
package mcp
