// Package webui is ipc's web inbox for people: one page, served on
// loopback, that shows every mailbox (online state, unread count, last
// seen), all mail newest first by mailbox or by search, a page at a time,
// threads across mailboxes, each message with its data, the full text
// of large ones and the delivery state of each copy, and a composer that sends, replies and broadcasts as one
// named person ("overseer" by default). New mail and delivery states
// appear live: the page holds a server-sent event stream fed by the
// process's follower (package follow: every mailbox, and the marker files
// of delivery states), and fetches itself again when told.
//
// It decides nothing about mail: sending goes through package rules (and
// so spool), marking read or unread moves the Maildir S flag as every
// client does (spool.Mailbox.MarkSeen), listing and threads come from
// package search.
//
// Guarantees, as messages are untrusted input:
//   - every byte of a message reaches the page through html/template's
//     escaping, or as text/plain under a sandboxing policy; the page's own
//     script builds nothing from message text;
//   - a strict Content-Security-Policy on every answer: scripts and styles
//     only from the embedded files, no inline script, nothing fetched from
//     anywhere else, no framing;
//   - every request needs the token the URL carries (traded on first visit
//     for an HttpOnly, SameSite=Strict cookie; compared in constant time);
//     without it the answer is 401 and nothing more;
//   - the Host header must name this server's port on an IP address or
//     localhost (against DNS rebinding), and a request that changes mail
//     must come from the page itself (Origin and Fetch metadata);
//   - a large file is served only from the spool's large/ directory, a
//     plain file opened through os.Root, whatever path a message names;
//   - a huge body is cut for the page, with a link to the whole text;
//     lists are paged, so no request reads a whole mailbox's messages.
//
// Assets (templates, one stylesheet, one script) are embedded in the
// binary; the page makes no request outside this server and works
// without JavaScript (live updates then need a reload).
//
// webui is a front end: it must not import cli or mcp, and it learns of
// mail only through a follow.Feed (ARCHITECTURE.md).
package webui
