// Package rules holds the rules of mail that every front end (the CLI,
// the MCP server, hooks, a bridge, a web inbox) obeys, so that none of
// them decides anything about mail on its own: what reading a message
// entails (read receipts for senders who asked), when a name counts as
// active (last seen), how an unknown sender is shown, and how far each
// message got (delivery states: stored, notified, surfaced, read,
// acknowledged, replied; see spool.State).
//
// The limits themselves (messages a minute, unread per mailbox, message
// size) are enforced by spool at delivery, where no writer can get around
// them; rules is where front ends learn of them.
//
// Guarantees:
//
//   - A read receipt is sent only for a message its reader was given (call
//     Read after the messages were shown, never for a peek), only when the
//     message's data asked for one ({"receipt": true}), never to oneself
//     or to an unknown sender, and at most once per Read call and message.
//   - Every send through Rules counts as activity of its sender (last
//     seen), as reading does.
//   - A sent receipt marks the message acknowledged. Front ends mark what
//     they told a session (Mark: notified, surfaced); states only advance.
//     WaitFor returns once every local copy of a message reached a state,
//     looking again only when the front end reports a change in WatchDirs
//     (no polling).
//
// rules stands on spool only. It must not import cli, mcp, follow,
// leader, watcher, cobra or mcp-go.
package rules
