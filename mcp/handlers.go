package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// Every handler returns its failures as tool errors (fail), never as Go
// errors, so the model always reads a sentence it can act on.

func ok(structured any, text string) (*mcpgo.CallToolResult, error) {
	return mcpgo.NewToolResultStructured(structured, text), nil
}

func failed(err error) (*mcpgo.CallToolResult, error) { return fail(err), nil }

// args reads a tool's arguments, checking each: the first problem is
// kept in err, a sentence that names the argument.
type args struct {
	m   map[string]any
	raw map[string]json.RawMessage // the arguments as sent, for data kept byte for byte
	err error
}

func argsOf(req mcpgo.CallToolRequest) *args {
	a := &args{m: req.GetArguments()}
	_ = json.Unmarshal(req.Params.RawArguments, &a.raw) // nil when absent: data() then encodes m
	return a
}

// str returns string argument name; "" if absent and not required.
func (a *args) str(name string, required bool) string {
	if a.err != nil {
		return ""
	}
	v, ok := a.m[name]
	if !ok || v == nil {
		if required {
			a.err = fmt.Errorf("argument %s is missing", name)
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		a.err = fmt.Errorf("argument %s must be a string, not %s", name, jsonType(v))
	}
	return s
}

// name returns required argument name, a valid agent name.
func (a *args) name(name string) string {
	s := a.str(name, true)
	if a.err == nil {
		if err := spool.ValidName(s); err != nil {
			a.err = fmt.Errorf("argument %s: %w", name, err)
		}
	}
	return s
}

// address returns required argument name, an agent name or NAME@HOST.
func (a *args) address(name string) string {
	s := a.str(name, true)
	if a.err == nil {
		if err := spool.ValidAddress(s); err != nil {
			a.err = fmt.Errorf("argument %s: %w", name, err)
		}
	}
	return s
}

// data returns the optional data argument as the client sent it, byte
// for byte (numbers are not rounded through float64, keys keep their
// order); nil when absent or an empty object.
func (a *args) data() json.RawMessage {
	v, ok := a.m["data"]
	if a.err != nil || !ok || v == nil {
		return nil
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		a.err = fmt.Errorf(`argument data must be a JSON object, like {"key": "value"}, not %s`, jsonType(v))
		return nil
	}
	if len(obj) == 0 {
		return nil
	}
	b := []byte(a.raw["data"])
	if len(b) == 0 { // arguments given in process, not decoded from JSON
		var err error
		if b, err = json.Marshal(obj); err != nil {
			a.err = fmt.Errorf("argument data: %w", err)
			return nil
		}
	}
	if err := spool.CheckData(b); err != nil {
		a.err = fmt.Errorf("argument data: %w", err)
		return nil
	}
	return b
}

// seconds returns optional argument name, a number of seconds not below
// zero; def if absent.
func (a *args) seconds(name string, def float64) float64 {
	f, ok := a.number(name, "a number of seconds")
	if !ok {
		return def
	}
	if f < 0 {
		a.err = fmt.Errorf("argument %s must be 0 or more, not %g", name, f)
		return def
	}
	return f
}

// number returns optional argument name as a number; false if it is absent,
// or is not a number (then a.err says so, calling it what).
func (a *args) number(name, what string) (float64, bool) {
	v, ok := a.m[name]
	if a.err != nil || !ok || v == nil {
		return 0, false
	}
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			a.err = fmt.Errorf("argument %s must be %s, not %q", name, what, n)
			return 0, false
		}
		return f, true
	}
	a.err = fmt.Errorf("argument %s must be %s, not %s", name, what, jsonType(v))
	return 0, false
}

// jsonType names the JSON type of v.
func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "true or false"
	case float64, float32, int, int64, json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}

// endedForwardText says what registering a renamed name again did to its
// forward.
func endedForwardText(name, to string) string {
	return fmt.Sprintf("%s had been renamed to %s; registering %s again ended that forward: new mail to %s stays with %s, "+
		"and mail already forwarded stays with %s.", name, to, name, name, name, to)
}

// waitingText is what register and rename say of the mail waiting.
func waitingText(n int) string {
	if n == 1 {
		return " 1 message waiting: call check to read it."
	}
	return fmt.Sprintf(" %s waiting: call check to read them.", plural(n, "message"))
}

func (s *Server) toolRegister(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	a := argsOf(req)
	name := a.name("instance_id")
	if a.err != nil {
		return failed(a.err)
	}
	r, err := s.register(name)
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
	if r.EndedForward != "" {
		b.WriteString(" " + endedForwardText(r.Name, r.EndedForward))
	}
	if r.Waiting == 0 {
		b.WriteString(" No messages waiting.")
	} else {
		b.WriteString(waitingText(r.Waiting))
	}
	b.WriteString(" Read mail with check; wait blocks until some arrives. (ipc's hooks, or a channel if your client shows one, tell you of new mail by themselves.)")
	return ok(r, b.String())
}

func (s *Server) toolSend(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	a := argsOf(req)
	from, to, content, data := a.str("from_id", true), a.address("to_id"), a.str("content", true), a.data()
	waitFor, secs := a.str("wait_for", false), a.seconds("timeout_seconds", 60)
	if a.err != nil {
		return failed(a.err)
	}
	want, err := spool.ParseState(waitFor)
	if waitFor != "" && err != nil {
		return failf("The wait_for argument %q is not a delivery state: use notified, surfaced, read, acknowledged or replied.", waitFor), nil
	}
	cur, err := s.me("from_id", from)
	if err != nil {
		return failed(err)
	}
	rc, err := s.rules.Send(spool.Draft{From: cur.name, To: []string{to}, Body: content, Data: data})
	if err != nil {
		return failed(err)
	}
	if waitFor == "" {
		return ok(rc, receiptText(rc))
	}
	return s.awaitState(ctx, rc, want, s.cutWait(secs))
}

// sentProgress is the structured result of a send that waited.
type sentProgress struct {
	spool.Receipt
	Progress []spool.Progress `json:"progress"`
	Reached  bool             `json:"reached"`
}

// awaitState waits until the copies of rc reached want (rules.WaitFor),
// following their directories, and says how far they got. It watches them
// through a feed of the server's follower (plain watches of cur/ report
// read files too, which a wait for "read" waits for), so a wait opens no
// watcher of its own; before Start it has a follower of its own.
func (s *Server) awaitState(ctx context.Context, rc spool.Receipt, want spool.State, timeout time.Duration) (*mcpgo.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fol := s.follower()
	if fol == nil {
		f, err := follow.New(ctx, s.sp, follow.Options{Watcher: watcher.Options{Poll: s.opts.Poll, PollInterval: s.opts.PollInterval, Logger: s.log}})
		if err != nil {
			return failed(err)
		}
		defer f.Close()
		fol = f
	}
	fd := fol.Open()
	defer fd.Close()
	for _, dir := range s.rules.WatchDirs(rc) {
		if err := fd.Watch(dir); err != nil {
			return failed(err)
		}
	}
	changed := make(chan struct{}, 1)
	go func() {
		for range fd.Events() {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}()
	ps, err := s.rules.WaitFor(ctx, rc, want, changed)
	if err != nil && !errors.Is(err, rules.ErrNotReached) {
		return failed(err)
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, fmt.Sprintf("%s: %s", p.Mailbox, p.State))
	}
	text := receiptText(rc) + "\n" + strings.Join(lines, "\n")
	if err != nil {
		text += fmt.Sprintf("\nNot %s within %s.", want, timeout)
	}
	return ok(sentProgress{Receipt: rc, Progress: ps, Reached: err == nil}, text)
}

// cutWait turns a timeout in seconds into a duration no longer than the
// server's longest wait.
func (s *Server) cutWait(secs float64) time.Duration {
	if d := time.Duration(secs * float64(time.Second)); d < s.opts.MaxWait {
		return d
	}
	return s.opts.MaxWait
}

func (s *Server) toolBroadcast(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	a := argsOf(req)
	from, content, data := a.str("from_id", true), a.str("content", true), a.data()
	if a.err != nil {
		return failed(a.err)
	}
	cur, err := s.me("from_id", from)
	if err != nil {
		return failed(err)
	}
	rc, err := s.rules.Broadcast(cur.name, content, data)
	if len(rc.Delivered) == 0 {
		if errors.Is(err, spool.ErrNotFound) {
			return failf("nobody to broadcast to yet: no other name has a mailbox"), nil
		}
		return failed(err)
	}
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
		var qe *spool.QuarantineError
		if len(msgs) == 0 && !errors.As(err, &qe) {
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
	cur, c, err := s.checkAs(req)
	if err != nil {
		return failed(err)
	}
	res, _ := ok(c, c.text(s.sp.Now()))
	return s.handing.hold(res, cur.mb, c.Messages)
}

// checkAs checks the mail of the name given as instance_id, which must be
// the one this server holds (check and auto_process).
func (s *Server) checkAs(req mcpgo.CallToolRequest) (*identity, checked, error) {
	a := argsOf(req)
	given := a.str("instance_id", true)
	if a.err != nil {
		return nil, checked{}, a.err
	}
	cur, err := s.me("instance_id", given)
	if err != nil {
		return nil, checked{}, err
	}
	c, err := s.checkMail(cur)
	return cur, c, err
}

// receipts sends the read receipts asked for by the senders of msgs, which
// me was given (rules.Read). It returns what it did and the problems so
// far plus its own.
func (s *Server) receipts(me string, msgs []*spool.Message, problems []string) (sent, _ []string) {
	for _, rc := range s.rules.Read(me, msgs) {
		if rc.Err != nil {
			problems = append(problems, fmt.Sprintf("no read receipt sent to %s for %s: %s", rc.To, rc.MessageID, sentence(rc.Err)))
			continue
		}
		sent = append(sent, rc.String())
	}
	return sent, problems
}

// listed is what list_instances returns.
type listed struct {
	You   string           `json:"you,omitempty"`
	Names []spool.NameInfo `json:"names"`
}

func (s *Server) toolList(context.Context, mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	names, err := s.sp.List()
	if err != nil && names == nil {
		return failed(err)
	}
	names = append(names, s.sp.FleetInfos()...) // NAME@HOST on other hosts, through the bridge
	if err != nil {                             // some mailboxes could not be looked at: an error, with what could be listed
		return fail(fmt.Errorf("%w\n%s", err, namesText(names, "", s.sp.Now()))), nil
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
	a := argsOf(req)
	old, newName := a.str("old_id", true), a.name("new_id")
	if a.err != nil {
		return failed(a.err)
	}
	if _, err := s.me("old_id", old); err != nil {
		return failed(err)
	}
	r, err := s.rename(newName)
	if err != nil {
		return failed(err)
	}
	text := fmt.Sprintf("Renamed %s to %s. Mail sent to %s is forwarded to %s", r.Old, r.New, r.Old, r.New)
	if !r.ForwardUntil.IsZero() {
		text += " until " + r.ForwardUntil.Local().Format("15:04")
	}
	text += "; everyone was told."
	if r.Waiting > 0 {
		text += waitingText(r.Waiting)
	}
	return ok(r, text)
}

func (s *Server) toolShareFile(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	a := argsOf(req)
	from, to, path, desc := a.str("from_id", true), a.name("to_id"), a.str("filepath", true), a.str("description", false)
	if a.err != nil {
		return failed(a.err)
	}
	cur, err := s.me("from_id", from)
	if err != nil {
		return failed(err)
	}
	abs, content, err := share.ReadShareFile(path)
	if err != nil {
		return failed(err)
	}
	subject, body, data := share.FileMessage(abs, content, desc)
	rc, err := s.rules.Send(spool.Draft{From: cur.name, To: []string{to}, Subject: subject, Body: body, Data: data})
	if err != nil {
		return failed(err)
	}
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
	a := argsOf(req)
	from, to, command, desc := a.str("from_id", true), a.name("to_id"), a.str("command", true), a.str("description", false)
	if a.err != nil {
		return failed(a.err)
	}
	cur, err := s.me("from_id", from)
	if err != nil {
		return failed(err)
	}
	line, argv, err := share.Command([]string{command})
	if err != nil {
		return failed(err)
	}
	res, err := share.RunCommand(ctx, line, argv, s.opts.CommandTimeout)
	switch {
	case errors.Is(err, share.ErrCancelled):
		return failf("cancelled; nothing was sent: %s was stopped before it finished", line), nil
	case err != nil:
		return failf("could not run %s: %v; nothing was sent", argv[0], err), nil
	}
	subject, body, data := res.Message(desc)
	rc, err := s.rules.Send(spool.Draft{From: cur.name, To: []string{to}, Subject: subject, Body: body, Data: data})
	if err != nil {
		return failed(fmt.Errorf("ran %s (%s) but the output was not sent: %w", line, res.Outcome(), err))
	}
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
	cur, c, err := s.checkAs(req)
	if err != nil {
		return failed(err)
	}
	p := processed{checked: c, Summary: []string{}, LastCheck: s.sp.Now().UTC()}
	if err := awareness.New(s.sp).RecordCheck(cur.name); err != nil {
		p.Problems = append(p.Problems, "the time of this check was not recorded: "+sentence(err))
	}
	now := s.sp.Now()
	for i, m := range c.Messages {
		from := rules.Sender(m.From)
		if !m.Provenance.Verified() {
			from += " [UNVERIFIED: " + string(m.Provenance) + "]"
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
	res, _ := ok(p, strings.TrimRight(b.String(), "\n"))
	return s.handing.hold(res, cur.mb, c.Messages)
}

func (s *Server) toolReply(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	a := argsOf(req)
	id, content := a.str("message_id", true), a.str("content", true)
	if a.err != nil {
		return failed(a.err)
	}
	cur, err := s.me("", "")
	if err != nil {
		return failed(err)
	}
	rc, err := s.rules.Reply(cur.name, id, content, nil)
	switch {
	case errors.Is(err, spool.ErrNotFound):
		return failf("%s; message ids are in check's ID lines and in the message_id of pushed events", sentence(err)), nil
	case err != nil:
		return failed(err)
	}
	return ok(rc, fmt.Sprintf("Replied to %s: %s", id, receiptText(rc)))
}

// toolWait returns the agent's unread mail as soon as there is some.
// While it runs, mail is not pushed (see awaitNoWait): it is the answer.
func (s *Server) toolWait(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	a := argsOf(req)
	secs := a.seconds("timeout_seconds", 60)
	if a.err != nil {
		return failed(a.err)
	}
	if _, err := s.me("", ""); err != nil {
		return failed(err)
	}
	timeout := s.opts.MaxWait // a longer wait is cut to the limit
	if secs < timeout.Seconds() {
		timeout = time.Duration(secs * float64(time.Second))
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	s.agent.beginWait()
	defer s.agent.endWait()
	for {
		arrival := s.agent.arrivalChan()
		cur, err := s.me("", "")
		if err != nil {
			return failed(err)
		}
		c, err := s.checkMail(cur)
		if err != nil {
			return failed(err)
		}
		if c.Count > 0 {
			res, _ := ok(c, c.text(s.sp.Now()))
			return s.handing.hold(res, cur.mb, c.Messages)
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
