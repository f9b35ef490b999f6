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

// Parts of the descriptions of the tools that answer with mail or with a
// sent message: what every answer carries, in the JSON (structuredContent)
// and in the text alike.
const (
	descMail = `Each message has id (pass it to reply), from, to, time and age, subject, thread (the id of the thread's first message), in_reply_to, provenance ("session" is a verified sender; any other value comes with a caution: treat the sender as a claim), content, data (the JSON object sent with it, as JSON text exactly as sent) and, for a text over 10 KiB, large_file and large_size: content is then a summary and the whole text is in that file.`
	descSent = `The answer gives the message's id and delivered: per recipient, to, mailbox (the one that got it) and outcome: "sent", "queued" (not yet registered), "forwarded" (to was renamed; mailbox is its new name) or "remote" (another host); a text over 10 KiB is saved whole in large_file and the recipient gets a summary naming it; warnings, if any.`
)

// tool builds a tool from its name, description, hints and parameters;
// its answers are values of type T (view.go), declared as its outputSchema.
func tool[T any](name, description string, h hints, params ...mcpgo.ToolOption) mcpgo.Tool {
	opts := append([]mcpgo.ToolOption{mcpgo.WithDescription(description), mcpgo.WithRawOutputSchema(outputSchema[T]())}, h.options()...)
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
		mcpserver.Tool{Tool: tool[registerAnswer]("register",
			`Register this session under a name so other agents can message it ("register this instance as NAME", "register as NAME"). The name is claimed for as long as this session runs (others see it online). The answer gives name, waiting (how many messages already wait), already (this session held it already), released (a name this session gave up), ended_forward (the forward a renamed name had) and a note. Read mail with check or wait; ipc's hooks, or a channel where the client shows one, tell you of new mail.`,
			hints{title: "Register", idempotent: true},
			str("instance_id", "The name to take: 1 to 32 letters, digits, '-' or '_'.")), Handler: s.toolRegister},
		mcpserver.Tool{Tool: tool[sentAnswer]("send",
			`Send a message to another agent ("msg NAME: TEXT", "send NAME: TEXT", "tell NAME: TEXT"). `+descSent+` With wait_for, it also gives waited_for, progress (the state each copy reached), reached, and timeout when it was not reached in time.`,
			hints{title: "Send a message"},
			str("from_id", descMe), str("to_id", descTo), str("content", descContent), data,
			optStr("wait_for", `Optional: after sending, wait until the message got this far: "notified", "surfaced" (it reached the recipient's model), "read", "acknowledged" or "replied". The result then says how far it got.`),
			mcpgo.WithNumber("timeout_seconds", mcpgo.Description("With wait_for: how long to wait, in seconds (default 60, cut to the server's longest wait)."), mcpgo.Min(0))), Handler: s.toolSend},
		mcpserver.Tool{Tool: tool[sentAnswer]("broadcast",
			`Send one message to every other known name ("broadcast: TEXT", "tell everyone: TEXT"). `+descSent+` When some names could not get it, the answer is an error that still gives what was delivered, and problem.`,
			hints{title: "Broadcast"},
			str("from_id", descMe), str("content", descContent), data), Handler: s.toolBroadcast},
		mcpserver.Tool{Tool: tool[mailRead]("check",
			`Read your unread messages, oldest first, and mark them read ("check messages", "check mail", "msgs?"). The answer gives name, count (0: "No new messages") and messages, as many of the oldest as fit in about 48 KiB; more says how many are left for the next call. `+descMail+` It also lists the read receipts sent (receipts) and any problems.`,
			hints{title: "Check messages"},
			str("instance_id", descMe)), Handler: s.toolCheck},
		mcpserver.Tool{Tool: tool[listAnswer]("list_instances",
			`List every known name ("who's online?", "list instances"). The answer gives you (your name), online (how many are online) and names: for each, name, online, unread, last_seen (and last_seen_age), registered (false: mail waits for it), forward_to and forward_until for a renamed name, you for your own, and error when its mailbox could not be read.`,
			hints{title: "Who's online", readOnly: true, idempotent: true}), Handler: s.toolList},
		mcpserver.Tool{Tool: tool[renameAnswer]("rename",
			`Rename yourself ("rename to NAME"). Mail to the old name is forwarded to the new one for 2 hours, everyone is told, and your unread mail moves along. Allowed once an hour. The answer gives old, new, forward_until and waiting (the unread mail that moved along).`,
			hints{title: "Rename"},
			str("old_id", "Your current (registered) name."), str("new_id", "The new name: 1 to 32 letters, digits, '-' or '_'.")), Handler: s.toolRename},
		mcpserver.Tool{Tool: tool[sentAnswer]("share_file",
			`Send the content of a text file to another agent ("share FILE with NAME"). Only regular files of UTF-8 text; a large file follows the large-message rule. `+descSent+` It also gives file and bytes.`,
			hints{title: "Share a file"},
			str("from_id", descMe), str("to_id", descTo), str("filepath", "Path of the file, absolute or relative to the directory this server runs in."),
			optStr("description", "What the file is.")), Handler: s.toolShareFile},
		mcpserver.Tool{Tool: tool[sentAnswer]("share_command",
			fmt.Sprintf(`Run a command and send its stdout, stderr and exit code to another agent ("share the output of CMD with NAME"). No shell runs: the command is split like a POSIX shell splits words, pipes, redirections and '$' are refused (use sh -c '...' explicitly), stdin is closed, and it is killed after %s. `+descSent+` It also gives command, exit_code, outcome and timed_out.`, s.opts.CommandTimeout),
			hints{title: "Share a command's output", runs: true},
			str("from_id", descMe), str("to_id", descTo), str("command", "The command line, e.g. \"go test ./...\"."),
			optStr("description", "What the command shows.")), Handler: s.toolShareCommand},
		mcpserver.Tool{Tool: tool[mailRead]("auto_process",
			`Check messages and return what arrived, numbered, marking it read and recording the time of this check for auto-check (last_check; "start auto checking N" runs this every N minutes). Sends a read receipt to senders who asked for one. The answer is check's: name, count, messages (at most about 48 KiB; more says how many are left), receipts, problems. `+descMail,
			hints{title: "Process new messages"},
			str("instance_id", descMe)), Handler: s.toolAutoProcess},
		mcpserver.Tool{Tool: tool[sentAnswer]("reply",
			`Answer a message by its id, in the same thread, from your registered name ("reply ID: TEXT"). The id is any message id check, wait or search gives, in "📬" notices or in the message_id of <channel> events, including the Message-ID of mail written by other programs, with or without <>; a unique prefix of 4 or more characters will do. `+descSent+` It also gives in_reply_to.`,
			hints{title: "Reply"},
			str("message_id", "The id of the message to answer."), str("content", descContent)), Handler: s.toolReply},
		mcpserver.Tool{Tool: tool[mailRead]("wait",
			fmt.Sprintf(`Wait until mail arrives for you, then return it marked read, with check's answer (name, count, messages, at most about 48 KiB of them, more: how many are left; `+descMail+`). After timeout_seconds with no mail (default 60; a longer wait than %s is cut to %s) it answers "No mail arrived": count 0, timed_out true, waited (how long). Mail it returns is not also pushed.`, s.opts.MaxWait, s.opts.MaxWait),
			hints{title: "Wait for mail"},
			mcpgo.WithNumber("timeout_seconds", mcpgo.Description("How long to wait, in seconds."), mcpgo.Min(0))), Handler: s.toolWait},
	)
	s.addSearchTool()
}
