// Package mcpserver is the Model Context Protocol's server side: JSON-RPC
// 2.0 over stdio (one message a line) and over streamable HTTP (POST for
// requests, a GET event stream per session for what the server pushes),
// with the initialize handshake of the protocol versions up to 2025-11-25,
// ping, tools, resources and their subscriptions, logging/setLevel, and
// notifications sent to one session at a time.
//
// It holds no tools of its own: the mcp package registers them. It is
// small on purpose: a process that links it pays nothing at start (no
// schema compiled, no regexp, no goroutine until a transport is served),
// because every ipc command, the ones run per message included, is the
// same binary.
//
// Guarantees: every request gets exactly one response (a result, or a
// JSON-RPC error that says why); a message larger than Options.MaxMessage
// is refused with an error while it is read, never held whole in memory;
// a message within it is held once as read, its params and a tool call's
// RawArguments being slices of it, not copies (a 60 MB send peaks at about
// twice its size: the message and the string decoded from it);
// Notify returns only once the notification was written to the client's
// stream (stdout, or a session's open GET stream), so a caller can count
// what it pushed; a session's end runs Hooks.Unregister once.
package mcpserver
