package mcp

import (
	"fmt"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

// What a model is given. Clients differ in what they hand their model
// from a tool's answer: Claude Code gives it structuredContent (as JSON)
// and drops the text; Gemini CLI gives it the text and drops
// structuredContent; Claude Code 2.1's code leaves out JSON over 1 MiB
// and hands on the text instead. So each answer is one value of a type
// below, declared as the tool's outputSchema (schema.go), sent as
// structuredContent, and written out as the text by that value's own text
// method: every fact is in both, under the same names (the JSON key
// "large_file" is the text's "Large file:" line), and nothing is in one
// only.

// mailView is one message as a model reads it.
type mailView struct {
	ID             string   `json:"id" desc:"The message's id: reply(message_id) answers it."`
	From           string   `json:"from" desc:"The sender: a name, NAME@HOST for another host, or \"unknown sender\"."`
	To             []string `json:"to" desc:"The recipients' names."`
	Time           string   `json:"time" desc:"When it was sent (RFC 3339)."`
	Age            string   `json:"age" desc:"How long ago that was, e.g. \"2 min ago\"."`
	Subject        string   `json:"subject"`
	Thread         string   `json:"thread" desc:"The id of the first message of its thread."`
	InReplyTo      string   `json:"in_reply_to,omitempty" desc:"The id of the message this one answers."`
	Provenance     string   `json:"provenance" desc:"How the sender was established: session (verified), cli, drop-in, sendmail or bridge."`
	ProvenanceHost string   `json:"provenance_host,omitempty" desc:"For provenance bridge: the host it came from."`
	Caution        string   `json:"caution,omitempty" desc:"Why the sender is not verified, when it is not."`
	Content        string   `json:"content" desc:"The text; for a large message, a summary of it (large_file has the whole text)."`
	Data           string   `json:"data,omitempty" desc:"The JSON object that came with it, as JSON text exactly as sent (an object would lose digits and key order in JavaScript clients)."`
	LargeFile      string   `json:"large_file,omitempty" desc:"For a large message: the file that holds its whole text."`
	LargeSize      int64    `json:"large_size,omitempty" desc:"For a large message: the size of its whole text in bytes."`
}

// viewOf is m as a model reads it, now being now.
func viewOf(m *spool.Message, now time.Time) mailView {
	v := mailView{ID: m.ID, From: rules.Sender(m.From), To: m.To, Time: timeText(m.Date), Age: ago(now, m.Date),
		Subject: m.Subject, Thread: m.Thread(), InReplyTo: m.InReplyTo, Provenance: string(m.Provenance),
		ProvenanceHost: m.ProvenanceHost, Caution: m.Caution(), Content: m.Text(), LargeFile: m.LargeFile, LargeSize: m.LargeSize}
	if v.To == nil {
		v.To = []string{}
	}
	if len(m.Data) > 0 {
		// Shared files and command output are in the body already: not twice.
		v.Data = share.DataText(m.Data)
	}
	return v
}

// viewsOf is msgs as a model reads them, in their order.
func viewsOf(msgs []*spool.Message, now time.Time) []mailView {
	out := make([]mailView, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, viewOf(m, now))
	}
	return out
}

// timeText writes t for a model: RFC 3339 in local time, seconds; "" for
// the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(time.RFC3339)
}

// text writes v as labelled lines, one per field, the body last but data
// and the large file.
func (v mailView) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ID: %s\n", v.ID)
	fmt.Fprintf(&b, "From: %s (provenance: %s", v.From, v.Provenance)
	if v.ProvenanceHost != "" {
		fmt.Fprintf(&b, ", host %s", v.ProvenanceHost)
	}
	if v.Caution != "" {
		fmt.Fprintf(&b, "; UNVERIFIED: %s", v.Caution)
	}
	b.WriteString(")\n")
	fmt.Fprintf(&b, "To: %s\n", strings.Join(v.To, ", "))
	fmt.Fprintf(&b, "Time: %s (%s)\n", v.Time, v.Age)
	fmt.Fprintf(&b, "Subject: %s\n", v.Subject)
	fmt.Fprintf(&b, "Thread: %s\n", v.Thread)
	if v.InReplyTo != "" {
		fmt.Fprintf(&b, "In reply to: %s\n", v.InReplyTo)
	}
	fmt.Fprintf(&b, "Content: %s\n", v.Content)
	if len(v.Data) > 0 {
		fmt.Fprintf(&b, "Data: %s\n", v.Data)
	}
	if v.LargeFile != "" {
		fmt.Fprintf(&b, "Large file: %s (%d bytes): the content above is a summary; the whole text is in that file.\n", v.LargeFile, v.LargeSize)
	}
	return b.String()
}

// mailText writes messages as blocks separated by blank lines, numbered
// "1." … when numbered is set.
func mailText(ms []mailView, numbered bool) string {
	blocks := make([]string, 0, len(ms))
	for i, m := range ms {
		t := strings.TrimRight(m.text(), "\n")
		if numbered {
			t = fmt.Sprintf("%d. %s", i+1, t)
		}
		blocks = append(blocks, t)
	}
	return strings.Join(blocks, "\n\n")
}

// mailRead is what check, wait and auto_process return: the mail now
// marked read, and what reading it did.
type mailRead struct {
	Name      string     `json:"name" desc:"Whose mail this is: your registered name."`
	Count     int        `json:"count" desc:"How many messages were read (0: none was waiting)."`
	Messages  []mailView `json:"messages" desc:"The messages, oldest first, now marked read."`
	More      int        `json:"more,omitempty" desc:"Unread messages left, more than one answer holds: call again to read them."`
	Receipts  []string   `json:"receipts,omitempty" desc:"Read receipts sent to the senders who asked for one."`
	Problems  []string   `json:"problems,omitempty" desc:"What went wrong: files quarantined, receipts not sent."`
	TimedOut  bool       `json:"timed_out,omitempty" desc:"wait only: no mail arrived within the timeout."`
	Waited    string     `json:"waited,omitempty" desc:"wait only, with timed_out: how long it waited."`
	LastCheck string     `json:"last_check,omitempty" desc:"auto_process only: the time of this check, recorded for auto-check (RFC 3339)."`
}

// text writes what reading found; head is the line before the messages
// ("2 new messages for alice, oldest first (now marked read):").
func (r mailRead) text(head, none string, numbered bool) string {
	var b strings.Builder
	switch {
	case r.TimedOut:
		fmt.Fprintf(&b, "No mail arrived for %s within %s.", r.Name, r.Waited)
	case r.Count == 0:
		b.WriteString(none)
	default:
		b.WriteString(head + "\n\n" + mailText(r.Messages, numbered))
	}
	if r.More > 0 {
		fmt.Fprintf(&b, "\n\n%d more unread, more than one answer holds: call again to read them.", r.More)
	}
	for _, rc := range r.Receipts {
		b.WriteString("\n" + rc)
	}
	for _, p := range r.Problems {
		b.WriteString("\nProblem: " + p)
	}
	return b.String()
}

// deliveryView is what became of one recipient's copy of a sent message.
type deliveryView struct {
	To        string `json:"to" desc:"The name the message was sent to."`
	Mailbox   string `json:"mailbox" desc:"The mailbox that got it (another one when to was renamed)."`
	Outcome   string `json:"outcome" desc:"sent, queued (not yet registered), forwarded (renamed; its new name got it), forwarded and queued, or remote (the bridge carries it to another host)."`
	Forwarded bool   `json:"forwarded,omitempty"`
	Queued    bool   `json:"queued,omitempty"`
	Remote    bool   `json:"remote,omitempty"`
}

// sentView is what send, broadcast, reply, share_file and share_command
// return: the message sent and where each copy went.
type sentView struct {
	ID        string         `json:"id" desc:"The id of the message sent."`
	Delivered []deliveryView `json:"delivered" desc:"One entry per recipient."`
	LargeFile string         `json:"large_file,omitempty" desc:"For a text over 10 KiB: the file its whole text was saved in; recipients get a summary naming it."`
	Warnings  []string       `json:"warnings,omitempty"`
}

func sentOf(rc spool.Receipt) sentView {
	v := sentView{ID: rc.ID, Delivered: make([]deliveryView, 0, len(rc.Delivered)), LargeFile: rc.LargeFile, Warnings: rc.Warnings}
	for _, d := range rc.Delivered {
		dv := deliveryView{To: d.To, Mailbox: d.Mailbox, Forwarded: d.Forwarded, Queued: d.Queued, Remote: d.Remote}
		switch {
		case d.Forwarded && d.Queued:
			dv.Outcome = "forwarded and queued"
		case d.Forwarded:
			dv.Outcome = "forwarded"
		case d.Remote:
			dv.Outcome = "remote"
		case d.Queued:
			dv.Outcome = "queued"
		default:
			dv.Outcome = "sent"
		}
		v.Delivered = append(v.Delivered, dv)
	}
	return v
}

// text says what became of the message for each recipient, in the
// original tool's words: "sent to bob", "queued for carol (not yet
// registered)", "forwarded from old to new".
func (v sentView) text() string {
	lines := make([]string, 0, len(v.Delivered))
	for _, d := range v.Delivered {
		switch d.Outcome {
		case "forwarded and queued":
			lines = append(lines, fmt.Sprintf("forwarded and queued: from %s to %s (%s is not yet registered)", d.To, d.Mailbox, d.Mailbox))
		case "forwarded":
			lines = append(lines, fmt.Sprintf("forwarded from %s to %s", d.To, d.Mailbox))
		case "remote":
			lines = append(lines, fmt.Sprintf("remote: queued for %s (the bridge carries it to that host)", remoteTo(d.To)))
		case "queued":
			lines = append(lines, fmt.Sprintf("queued for %s (not yet registered)", d.To))
		default:
			lines = append(lines, "sent to "+d.To)
		}
	}
	s := strings.Join(lines, "\n")
	if v.ID != "" {
		s += fmt.Sprintf(" (id %s)", v.ID)
	}
	if v.LargeFile != "" {
		s += fmt.Sprintf("\nThe message is large: its whole text is saved in %s and the recipient gets a summary with that path.", v.LargeFile)
	}
	for _, w := range v.Warnings {
		s += "\nWarning: " + w
	}
	return s
}

// sentAnswer is what send, broadcast, reply, share_file and share_command
// return: sentView, and what the tool did besides.
type sentAnswer struct {
	sentView
	InReplyTo string `json:"in_reply_to,omitempty" desc:"reply only: the id of the message answered."`
	File      string `json:"file,omitempty" desc:"share_file only: the file shared (absolute path)."`
	Bytes     int    `json:"bytes,omitempty" desc:"share_file only: its size."`
	Command   string `json:"command,omitempty" desc:"share_command only: the command run."`
	ExitCode  int    `json:"exit_code,omitempty" desc:"share_command only: its exit code."`
	Outcome   string `json:"outcome,omitempty" desc:"share_command only: how it ended (\"exit 0\", \"timed out after 30s (killed)\")."`
	TimedOut  bool   `json:"timed_out,omitempty" desc:"share_command only: it was killed at the timeout; what it wrote so far was sent."`
	Problem   string `json:"problem,omitempty" desc:"What went wrong after some copies were delivered."`

	// With wait_for (send only): how far each copy got.
	WaitedFor string         `json:"waited_for,omitempty" desc:"send with wait_for: the state waited for."`
	Progress  []progressView `json:"progress,omitempty" desc:"send with wait_for: the state each copy reached."`
	Reached   *bool          `json:"reached,omitempty" desc:"send with wait_for: every copy reached waited_for."`
	Timeout   string         `json:"timeout,omitempty" desc:"send with wait_for, not reached: how long it waited."`
}

// progressView is how far one copy of a message got.
type progressView struct {
	Mailbox string `json:"mailbox"`
	State   string `json:"state" desc:"stored, notified, surfaced (it reached the model), read, acknowledged or replied."`
}

// registerAnswer is what register returns.
type registerAnswer struct {
	registered
	Note string `json:"note" desc:"How to read mail."`
}

func (r registerAnswer) text() string {
	var b strings.Builder
	switch {
	case r.Already:
		fmt.Fprintf(&b, "You are already registered as %s.", r.Name)
	case r.Released != "":
		fmt.Fprintf(&b, "Registered as %s (the name %s is given up).", r.Name, r.Released)
	default:
		fmt.Fprintf(&b, "Registered as %s.", r.Name)
	}
	if r.EndedForward != "" {
		b.WriteString(" " + endedForwardText(r.Name, r.EndedForward))
	}
	if r.Waiting == 0 {
		b.WriteString(" No messages waiting.")
	} else {
		b.WriteString(waitingText(r.Waiting))
	}
	return b.String() + " " + r.Note
}

// renameAnswer is what rename returns.
type renameAnswer struct {
	Old          string `json:"old"`
	New          string `json:"new"`
	ForwardUntil string `json:"forward_until,omitempty" desc:"Until when mail to old is forwarded to new (RFC 3339)."`
	Waiting      int    `json:"waiting" desc:"Unread messages in the new name's mailbox."`
}

func (r renameAnswer) text() string {
	text := fmt.Sprintf("Renamed %s to %s. Mail sent to %s is forwarded to %s", r.Old, r.New, r.Old, r.New)
	if r.ForwardUntil != "" {
		text += " until " + r.ForwardUntil
	}
	text += "; everyone was told."
	if r.Waiting > 0 {
		text += waitingText(r.Waiting)
	}
	return text
}

// nameView is one name as list_instances shows it.
type nameView struct {
	Name         string `json:"name"`
	Online       bool   `json:"online" desc:"A live process holds the name."`
	Unread       int    `json:"unread"`
	LastSeen     string `json:"last_seen,omitempty" desc:"Its last activity (RFC 3339); absent when never seen."`
	LastSeenAge  string `json:"last_seen_age" desc:"How long ago that was, or \"never\"."`
	Registered   bool   `json:"registered" desc:"The name has been registered at some time; else mail waits for it."`
	ForwardTo    string `json:"forward_to,omitempty" desc:"It was renamed: its mail is forwarded to this name."`
	ForwardUntil string `json:"forward_until,omitempty" desc:"Until when (RFC 3339)."`
	You          bool   `json:"you,omitempty" desc:"It is your name."`
	Error        string `json:"error,omitempty" desc:"Why its mailbox could not be looked at."`
}

// listAnswer is what list_instances returns.
type listAnswer struct {
	You    string     `json:"you,omitempty" desc:"Your registered name."`
	Online int        `json:"online" desc:"How many names are online."`
	Names  []nameView `json:"names"`
}

func listOf(names []spool.NameInfo, me string, now time.Time) listAnswer {
	l := listAnswer{You: me, Names: make([]nameView, 0, len(names))}
	for _, n := range names {
		v := nameView{Name: n.Name, Online: n.Online, Unread: n.Unread, LastSeen: timeText(n.LastSeen), LastSeenAge: ago(now, n.LastSeen),
			Registered: n.Registered, You: n.Name == me && me != "", Error: n.Error}
		if n.Forward != nil {
			v.ForwardTo, v.ForwardUntil = n.Forward.To, timeText(n.Forward.Until)
		}
		if n.Online {
			l.Online++
		}
		l.Names = append(l.Names, v)
	}
	return l
}

func (l listAnswer) text() string {
	if len(l.Names) == 0 {
		return "No names yet: nobody has registered or received mail."
	}
	width := 0
	for _, n := range l.Names {
		width = max(width, len(n.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d online:\n", plural(len(l.Names), "name"), l.Online)
	for _, n := range l.Names {
		state := "offline"
		if n.Online {
			state = "online"
		}
		fmt.Fprintf(&b, "  %-*s  %-7s  %d unread  last seen %s", width, n.Name, state, n.Unread, n.LastSeenAge)
		if n.LastSeen != "" {
			fmt.Fprintf(&b, " (%s)", n.LastSeen)
		}
		switch {
		case n.Error != "":
			fmt.Fprintf(&b, "  (cannot be read: %s)", n.Error)
		case n.ForwardTo != "":
			fmt.Fprintf(&b, "  (renamed: mail forwarded to %s until %s)", n.ForwardTo, n.ForwardUntil)
		case !n.Registered:
			b.WriteString("  (never registered: mail waits for it)")
		}
		if n.You {
			b.WriteString("  ← you")
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
