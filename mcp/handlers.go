package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

// Every handler returns its failures as tool errors (fail), never as Go
// errors, so the model always reads a sentence it can act on.

func ok(structured any, text string) (*mcpgo.CallToolResult, error) {
	return mcpgo.NewToolResultStructured(structured, text), nil
}

func failed(err error) (*mcpgo.CallToolResult, error) { return fail(err), nil }

// recipient checks the to_id argument.
func recipient(req mcpgo.CallToolRequest) (string, error) {
	to := req.GetString("to_id", "")
	if err := spool.ValidName(to); err != nil {
		return "", fmt.Errorf("recipient (to_id): %w", err)
	}
	return to, nil
}

// dataArg returns the data argument as JSON; nil when absent.
func dataArg(req mcpgo.CallToolRequest) (json.RawMessage, error) {
	v, ok := req.GetArguments()["data"]
	if !ok || v == nil {
		return nil, nil
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return nil, errors.New(`data must be a JSON object, like {"key": "value"}`)
	}
	if len(obj) == 0 {
		return nil, nil
	}
	return json.Marshal(obj)
}

func (s *Server) toolRegister(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	r, err := s.register(req.GetString("instance_id", ""))
	if err != nil {
		return failed(err)
	}
	var b strings.Builder
	switch {
	case r.Already:
		fmt.Fprintf(&b, "You are already registered as %s.", r.Name)
	case r.Released != "":
		fmt.Fprintf(&b, "Registered as %s (the name %s is given up).", r.Name, r.Released)
	default:
		fmt.Fprintf(&b, "Registered as %s.", r.Name)
	}
	if r.Waiting == 0 {
		b.WriteString(" No messages waiting.")
	} else {
		fmt.Fprintf(&b, " %s waiting: call check to read them.", plural(r.Waiting, "message"))
	}
	b.WriteString(" New mail will be pushed to you as it arrives.")
	return ok(r, b.String())
}

func (s *Server) toolSend(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, err := s.me(req.GetString("from_id", ""))
	if err != nil {
		return failed(err)
	}
	to, err := recipient(req)
	if err != nil {
		return failed(err)
	}
	data, err := dataArg(req)
	if err != nil {
		return failed(err)
	}
	rc, err := s.sp.Send(spool.Draft{From: cur.name, To: []string{to}, Body: req.GetString("content", ""), Data: data})
	if err != nil {
		return failed(err)
	}
	s.sp.Touch(cur.name)
	return ok(rc, receiptText(rc))
}

func (s *Server) toolBroadcast(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, err := s.me(req.GetString("from_id", ""))
	if err != nil {
		return failed(err)
	}
	data, err := dataArg(req)
	if err != nil {
		return failed(err)
	}
	rc, err := s.sp.Broadcast(cur.name, req.GetString("content", ""), data)
	if len(rc.Delivered) == 0 {
		if errors.Is(err, spool.ErrNotFound) {
			return failf("nobody to broadcast to yet: no other name has a mailbox"), nil
		}
		return failed(err)
	}
	s.sp.Touch(cur.name)
	text := fmt.Sprintf("Broadcast to %s:\n%s", plural(len(rc.Delivered), "name"), receiptText(rc))
	if err != nil {
		res := mcpgo.NewToolResultStructured(rc, text+"\nNot delivered: "+sentence(err))
		res.IsError = true
		return res, nil
	}
	return ok(rc, text)
}

// checked is what check and wait return.
type checked struct {
	Name     string           `json:"name"`
	Count    int              `json:"count"`
	Messages []*spool.Message `json:"messages"`
	Receipts []string         `json:"receipts,omitempty"` // read receipts sent
	Problems []string         `json:"problems,omitempty"` // files quarantined, receipts not sent
	TimedOut bool             `json:"timed_out,omitempty"`
}

// checkMail reads the agent's unread mail, marking it read, and sends the
// read receipts its senders asked for.
func (s *Server) checkMail(cur *identity) (checked, error) {
	msgs, err := cur.mb.Check(spool.CheckOptions{})
	c := checked{Name: cur.name, Count: len(msgs), Messages: msgs}
	if c.Messages == nil {
		c.Messages = []*spool.Message{}
	}
	if err != nil {
		if len(msgs) == 0 && !strings.Contains(err.Error(), "quarantined") {
			return c, err
		}
		c.Problems = append(c.Problems, sentence(err))
	}
	c.Receipts, c.Problems = s.receipts(cur.name, msgs, c.Problems)
	if len(msgs) > 0 {
		s.touched(inboxURI(cur.name))
		s.touched(statusURI)
	}
	return c, nil
}

// text writes what check found.
func (c checked) text(now time.Time) string {
	var b strings.Builder
	if c.Count == 0 {
		b.WriteString("No new messages")
	} else {
		fmt.Fprintf(&b, "%s for %s, oldest first (now marked read):\n\n%s", plural(c.Count, "new message"), c.Name, messageBlocks(c.Messages, now))
	}
	for _, r := range c.Receipts {
		b.WriteString("\n" + r)
	}
	for _, p := range c.Problems {
		b.WriteString("\nProblem: " + p)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (s *Server) toolCheck(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, err := s.me(req.GetString("instance_id", ""))
	if err != nil {
		return failed(err)
	}
	c, err := s.checkMail(cur)
	if err != nil {
		return failed(err)
	}
	return ok(c, c.text(s.sp.Now()))
}

// receipts sends a read receipt for each message whose data asked for one
// ({"receipt": true}). It returns what it did and the problems so far
// plus its own.
func (s *Server) receipts(me string, msgs []*spool.Message, problems []string) (sent, _ []string) {
	for _, m := range msgs {
		if !wantsReceipt(m) || m.From == "" || m.From == me {
			continue
		}
		data, _ := json.Marshal(map[string]string{"type": "receipt", "message_id": m.ID, "read_by": me})
		body := fmt.Sprintf("Read receipt: %s has read your message %s (%q).", me, m.ID, m.Subject)
		if _, err := s.sp.Send(spool.Draft{From: me, To: []string{m.From}, Body: body, Data: data, ReplyTo: m}); err != nil {
			problems = append(problems, fmt.Sprintf("no read receipt sent to %s for %s: %s", m.From, m.ID, sentence(err)))
			continue
		}
		sent = append(sent, fmt.Sprintf("Read receipt sent to %s for %s (they asked for one).", m.From, m.ID))
	}
	return sent, problems
}

// wantsReceipt reports whether m's data holds "receipt": true.
func wantsReceipt(m *spool.Message) bool {
	if len(m.Data) == 0 {
		return false
	}
	var d struct {
		Receipt bool `json:"receipt"`
	}
	return json.Unmarshal(m.Data, &d) == nil && d.Receipt
}

// listed is what list_instances returns.
type listed struct {
	You   string           `json:"you,omitempty"`
	Names []spool.NameInfo `json:"names"`
}

func (s *Server) toolList(context.Context, mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	names, err := s.sp.List()
	if err != nil {
		return failed(err)
	}
	l := listed{Names: names}
	if l.Names == nil {
		l.Names = []spool.NameInfo{}
	}
	if cur := s.agent.who(); cur != nil {
		l.You = cur.name
	}
	return ok(l, namesText(names, l.You, s.sp.Now()))
}

func (s *Server) toolRename(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	if _, err := s.me(req.GetString("old_id", "")); err != nil {
		return failed(err)
	}
	r, err := s.rename(req.GetString("new_id", ""))
	if err != nil {
		return failed(err)
	}
	text := fmt.Sprintf("Renamed %s to %s. Mail sent to %s is forwarded to %s", r.Old, r.New, r.Old, r.New)
	if !r.ForwardUntil.IsZero() {
		text += " until " + r.ForwardUntil.Local().Format("15:04")
	}
	text += "; everyone was told."
	if r.Waiting > 0 {
		text += fmt.Sprintf(" %s waiting: call check to read them.", plural(r.Waiting, "message"))
	}
	return ok(r, text)
}

func (s *Server) toolShareFile(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, err := s.me(req.GetString("from_id", ""))
	if err != nil {
		return failed(err)
	}
	to, err := recipient(req)
	if err != nil {
		return failed(err)
	}
	abs, content, err := share.ReadShareFile(req.GetString("filepath", ""))
	if err != nil {
		return failed(err)
	}
	subject, body, data := share.FileMessage(abs, content, req.GetString("description", ""))
	rc, err := s.sp.Send(spool.Draft{From: cur.name, To: []string{to}, Subject: subject, Body: body, Data: data})
	if err != nil {
		return failed(err)
	}
	s.sp.Touch(cur.name)
	return ok(rc, fmt.Sprintf("Shared %s (%s): %s", abs, plural(len(content), "byte"), receiptText(rc)))
}

// commandShared is what share_command returns.
type commandShared struct {
	spool.Receipt
	Command  string `json:"command"`
	ExitCode int    `json:"exit_code"`
	TimedOut bool   `json:"timed_out"`
}

func (s *Server) toolShareCommand(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, err := s.me(req.GetString("from_id", ""))
	if err != nil {
		return failed(err)
	}
	to, err := recipient(req)
	if err != nil {
		return failed(err)
	}
	line, argv, err := share.Command([]string{req.GetString("command", "")})
	if err != nil {
		return failed(err)
	}
	res, err := share.RunCommand(ctx, line, argv, s.opts.CommandTimeout)
	if err != nil {
		return failf("could not run %s: %v; nothing was sent", argv[0], err), nil
	}
	subject, body, data := res.Message(req.GetString("description", ""))
	rc, err := s.sp.Send(spool.Draft{From: cur.name, To: []string{to}, Subject: subject, Body: body, Data: data})
	if err != nil {
		return failed(fmt.Errorf("ran %s (%s) but the output was not sent: %w", line, res.Outcome(), err))
	}
	s.sp.Touch(cur.name)
	out := commandShared{Receipt: rc, Command: line, ExitCode: res.ExitCode, TimedOut: res.TimedOut}
	if res.TimedOut {
		r := mcpgo.NewToolResultStructured(out, fmt.Sprintf("%s %s; its output so far was shared: %s", line, res.Outcome(), receiptText(rc)))
		r.IsError = true
		return r, nil
	}
	return ok(out, fmt.Sprintf("Ran %s: %s. Output shared: %s", line, res.Outcome(), receiptText(rc)))
}

// processed is what auto_process returns.
type processed struct {
	checked
	Summary   []string  `json:"summary"`
	LastCheck time.Time `json:"last_check"`
}

func (s *Server) toolAutoProcess(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, err := s.me(req.GetString("instance_id", ""))
	if err != nil {
		return failed(err)
	}
	c, err := s.checkMail(cur)
	if err != nil {
		return failed(err)
	}
	p := processed{checked: c, Summary: []string{}, LastCheck: s.sp.Now().UTC()}
	if err := s.sp.RecordCheck(cur.name); err != nil {
		p.Problems = append(p.Problems, "the time of this check was not recorded: "+sentence(err))
	}
	now := s.sp.Now()
	for i, m := range c.Messages {
		from := m.From
		if from == "" {
			from = "unknown sender"
		}
		p.Summary = append(p.Summary, fmt.Sprintf("%d. From %s (%s, id %s): %s", i+1, from, ago(now, m.Date), m.ID, firstLine(m.Body, 80)))
	}
	var b strings.Builder
	if c.Count == 0 {
		b.WriteString("No messages to process.")
	} else {
		fmt.Fprintf(&b, "Auto-processed %s (now marked read):\n  %s\n\n%s", plural(c.Count, "message"),
			strings.Join(p.Summary, "\n  "), messageBlocks(c.Messages, now))
	}
	for _, r := range c.Receipts {
		b.WriteString("\n" + r)
	}
	for _, pr := range p.Problems {
		b.WriteString("\nProblem: " + pr)
	}
	return ok(p, strings.TrimRight(b.String(), "\n"))
}

func (s *Server) toolReply(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, err := s.me("")
	if err != nil {
		return failed(err)
	}
	id := req.GetString("message_id", "")
	rc, err := s.sp.Reply(cur.name, id, req.GetString("content", ""), nil)
	switch {
	case errors.Is(err, spool.ErrNotFound):
		return failf("%s; message ids are in check's ID lines and in the message_id of pushed events", sentence(err)), nil
	case err != nil:
		return failed(err)
	}
	s.sp.Touch(cur.name)
	return ok(rc, fmt.Sprintf("Replied to %s: %s", id, receiptText(rc)))
}

func (s *Server) toolWait(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	if _, err := s.me(""); err != nil {
		return failed(err)
	}
	secs := req.GetFloat("timeout_seconds", 60)
	timeout := min(max(time.Duration(secs*float64(time.Second)), 0), s.opts.MaxWait)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		arrival := s.agent.arrivalChan()
		cur, err := s.me("")
		if err != nil {
			return failed(err)
		}
		c, err := s.checkMail(cur)
		if err != nil {
			return failed(err)
		}
		if c.Count > 0 {
			return ok(c, c.text(s.sp.Now()))
		}
		select {
		case <-arrival:
		case <-timer.C:
			c.TimedOut = true
			return ok(c, fmt.Sprintf("No mail arrived for %s within %s.", cur.name, timeout))
		case <-ctx.Done():
			return failf("wait cancelled: %v", ctx.Err()), nil
		}
	}
}
