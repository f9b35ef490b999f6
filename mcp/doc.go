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
//   - Nothing is sent to a session before it has initialized: said
//     notifications/initialized, or sent a request after initialize other
//     than ping (which a client may send at any time), or went
//     Options.ReadyAfter without saying either. A session
//     that becomes ready (a reconnect included) is sent the agent's unread
//     mail it has not had, oldest first, or one notice saying how much
//     there is when it is more than Options.Backlog; so is every ready
//     session when register or rename gives the agent another mailbox.
//   - A push counts as pushed once it was written to the client (stdout,
//     or the session's GET stream over HTTP); a client slower than the
//     server holds the session's pushes back, and a push that could not
//     be written (no stream open, the session not yet initialized) is kept
//     and retried with backoff, never dropped.
//   - What was pushed, and what a notice counted, is remembered per
//     session (a bounded set of Options.PushedIDs ids), so a session gets
//     a message at most once, one by one or counted in a notice: the
//     watcher's repeats and renames push nothing twice, and a rescan
//     (after a kernel queue overflow) is one catch-up per session, which
//     pushes only mail whose arrival the overflow hid (or one notice for
//     it, beyond Options.Backlog). A session that stopped listening
//     without ending keeps nothing from another.
//   - Pushing never claims: a message stays unread until check, wait or
//     auto_process reads it. While a wait call runs, mail is not pushed: it
//     is wait's answer.
//   - Every tool failure (a bad or missing argument, a limit, an unknown
//     message, a caller not registered) is a tool result with isError set
//     and a sentence that says what to do, never a protocol error or a
//     crash. A cancelled share_command sends nothing.
//   - Every tool declares an outputSchema, built from the Go type of its
//     answers (view.go), and every answer carries structuredContent and a
//     text written from that same value: a client that hands its model the
//     JSON (Claude Code) and one that hands on the text (Gemini CLI) give
//     it the same facts, the ones the tool's description names.
//   - Over HTTP every request must carry the bearer token (HTTPToken).
//
// Over stdio nothing but the protocol is written to stdout; status goes to
// the Logger. The protocol itself (JSON-RPC, sessions, the transports) is
// internal/mcpserver's: mcp-go's server is not linked, as its init would
// cost every ipc process, those run per message included.
//
// mcp is a front end: it transports and renders, and decides nothing about
// mail (rules does, spool enforces the limits). It must not import cli,
// cobra or fsnotify, and it learns of mail only through a follow.Feed
// (ARCHITECTURE.md).
package mcp
