package mcp

import (
	"fmt"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcpserver"
)

// hints are a tool's annotations. Every ipc tool stays on this machine
// (open world false) and destroys nothing (destructive false) — except
// share_command, which runs whatever program it is given. Only
// list_instances is read-only: check, wait and auto_process mark mail read.
type hints struct {
	title      string
	readOnly   bool
	idempotent bool
	runs       bool // executes a program: destructive and open world
}

func (h hints) options() []mcpgo.ToolOption {
	return []mcpgo.ToolOption{
		mcpgo.WithTitleAnnotation(h.title),
		mcpgo.WithReadOnlyHintAnnotation(h.readOnly),
		mcpgo.WithDestructiveHintAnnotation(h.runs),
		mcpgo.WithIdempotentHintAnnotation(h.idempotent),
		mcpgo.WithOpenWorldHintAnnotation(h.runs),
	}
}

// Parameter descriptions shared by several tools.
const (
	descMe      = "Your registered name (the one you passed to register)."
	descTo      = "The recipient's name. It need not be registered yet: the message waits for it."
	descContent = "The message text."
	descData    = `Optional JSON object that travels with the message. {"receipt": true} asks the recipient's server for a read receipt.`
)

// tool builds a tool from its name, description, hints and parameters.
func tool(name, description string, h hints, params ...mcpgo.ToolOption) mcpgo.Tool {
	opts := append([]mcpgo.ToolOption{mcpgo.WithDescription(description)}, h.options()...)
	return mcpgo.NewTool(name, append(opts, params...)...)
}

// addTools registers the original tool's tools, with its names and parameters, and
// ours (reply, wait).
func (s *Server) addTools() {
	str := func(name, desc string) mcpgo.ToolOption {
		return mcpgo.WithString(name, mcpgo.Required(), mcpgo.Description(desc))
	}
	optStr := func(name, desc string) mcpgo.ToolOption { return mcpgo.WithString(name, mcpgo.Description(desc)) }
	data := mcpgo.WithObject("data", mcpgo.Description(descData))
	s.mcp.AddTools(
		mcpserver.Tool{Tool: tool("register",
			`Register this session under a name so other agents can message it ("register this instance as NAME", "register as NAME"). The name is claimed for as long as this session runs (others see it online); the result says how many messages already wait. Read mail with check or wait; ipc's hooks, or a channel where the client shows one, tell you of new mail.`,
			hints{title: "Register", idempotent: true},
			str("instance_id", "The name to take: 1 to 32 letters, digits, '-' or '_'.")), Handler: s.toolRegister},
		mcpserver.Tool{Tool: tool("send",
			`Send a message to another agent ("msg NAME: TEXT", "send NAME: TEXT", "tell NAME: TEXT"). Answers "sent to NAME", "queued for NAME (not yet registered)" or "forwarded from OLD to NEW". A text over 10 KiB is saved whole in a file and the recipient gets a summary with its path.`,
			hints{title: "Send a message"},
			str("from_id", descMe), str("to_id", descTo), str("content", descContent), data,
			optStr("wait_for", `Optional: after sending, wait until the message got this far: "notified", "surfaced" (it reached the recipient's model), "read", "acknowledged" or "replied". The result then says how far it got.`),
			mcpgo.WithNumber("timeout_seconds", mcpgo.Description("With wait_for: how long to wait, in seconds (default 60, cut to the server's longest wait)."), mcpgo.Min(0))), Handler: s.toolSend},
		mcpserver.Tool{Tool: tool("broadcast",
			`Send one message to every other known name ("broadcast: TEXT", "tell everyone: TEXT").`,
			hints{title: "Broadcast"},
			str("from_id", descMe), str("content", descContent), data), Handler: s.toolBroadcast},
		mcpserver.Tool{Tool: tool("check",
			`Read your unread messages, oldest first, and mark them read ("check messages", "check mail", "msgs?"). Each comes as a From / Time / ID / Content / Data block; reply to one with reply(message_id). Says "No new messages" when there are none.`,
			hints{title: "Check messages"},
			str("instance_id", descMe)), Handler: s.toolCheck},
		mcpserver.Tool{Tool: tool("list_instances",
			`List every known name with its online state, unread count and last activity ("who's online?", "list instances").`,
			hints{title: "Who's online", readOnly: true, idempotent: true}), Handler: s.toolList},
		mcpserver.Tool{Tool: tool("rename",
			`Rename yourself ("rename to NAME"). Mail to the old name is forwarded to the new one for 2 hours, everyone is told, and your unread mail moves along. Allowed once an hour.`,
			hints{title: "Rename"},
			str("old_id", "Your current (registered) name."), str("new_id", "The new name: 1 to 32 letters, digits, '-' or '_'.")), Handler: s.toolRename},
		mcpserver.Tool{Tool: tool("share_file",
			`Send the content of a text file to another agent ("share FILE with NAME"). Only regular files of UTF-8 text; a large file follows the large-message rule.`,
			hints{title: "Share a file"},
			str("from_id", descMe), str("to_id", descTo), str("filepath", "Path of the file, absolute or relative to the directory this server runs in."),
			optStr("description", "What the file is.")), Handler: s.toolShareFile},
		mcpserver.Tool{Tool: tool("share_command",
			fmt.Sprintf(`Run a command and send its stdout, stderr and exit code to another agent ("share the output of CMD with NAME"). No shell runs: the command is split like a POSIX shell splits words, pipes, redirections and '$' are refused (use sh -c '...' explicitly), stdin is closed, and it is killed after %s.`, s.opts.CommandTimeout),
			hints{title: "Share a command's output", runs: true},
			str("from_id", descMe), str("to_id", descTo), str("command", "The command line, e.g. \"go test ./...\"."),
			optStr("description", "What the command shows.")), Handler: s.toolShareCommand},
		mcpserver.Tool{Tool: tool("auto_process",
			`Check messages and return a numbered summary of what arrived, marking it read and recording the time of this check for auto-check ("start auto checking N" runs this every N minutes). Sends a read receipt to senders who asked for one.`,
			hints{title: "Process new messages"},
			str("instance_id", descMe)), Handler: s.toolAutoProcess},
		mcpserver.Tool{Tool: tool("reply",
			`Answer a message by its id, in the same thread, from your registered name ("reply ID: TEXT"). The id is any id check shows (its ID lines), in "📬" notices or in the message_id of <channel> events, including the Message-ID of mail written by other programs, with or without <>; a unique prefix of 4 or more characters will do.`,
			hints{title: "Reply"},
			str("message_id", "The id of the message to answer."), str("content", descContent)), Handler: s.toolReply},
		mcpserver.Tool{Tool: tool("wait",
			fmt.Sprintf(`Wait until mail arrives for you, then return it marked read, like check. Returns "No mail arrived" after timeout_seconds (default 60; a longer wait than %s is cut to %s). Mail it returns is not also pushed.`, s.opts.MaxWait, s.opts.MaxWait),
			hints{title: "Wait for mail"},
			mcpgo.WithNumber("timeout_seconds", mcpgo.Description("How long to wait, in seconds."), mcpgo.Min(0))), Handler: s.toolWait},
	)
	s.addSearchTool()
}
