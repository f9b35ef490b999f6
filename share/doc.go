// Package share turns a file or a command's output into a message: the
// original tool's share_file and share_command, one implementation for the command
// line and the MCP server.
//
// Guarantees: only regular files of UTF-8 text are read, and opening one
// never blocks (a FIFO swapped in for a file is refused, not waited on);
// what is checked is the file opened, not what its name pointed to a
// moment before. A command runs without a shell, its words split the way a
// POSIX shell splits them, with stdin closed, in its own process group,
// killed with its children at the time limit; the output kept is bounded,
// so a chatty command can neither block nor exhaust memory. Nothing here
// writes to the spool: callers send what these functions build.
//
// share must not import spool or anything above it: both front ends call it
// and send what it builds (ARCHITECTURE.md).
package share
