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
	"github.com/claude-ipc/ipc/internal/mcpserver"
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
	raw json.RawMessage // the arguments as sent (a slice of the request); nil when called in process
	err error
}

// argsOf reads the arguments of req. data() takes the data argument as
// sent, found in raw (a slice of the request, not a copy: a large content
// is not copied again to find it) by the tools that have one; without
// RawArguments (a call made in process) it encodes what m holds.
func argsOf(req mcpgo.CallToolRequest) *args {
	return &args{m: req.GetArguments(), raw: req.Params.RawArguments}
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
	b := mcpserver.Member(a.raw, "data")
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

// registerNote is what register says of reading mail.
const registerNote = "Read mail with check; wait blocks until some arrives. (ipc's hooks, or a channel if your client shows one, tell you of new mail by themselves.)"

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
	ans := registerAnswer{registered: r, Note: registerNote}
	return ok(ans, ans.text())
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
		ans := sentAnswer{sentView: sentOf(rc)}
		return ok(ans, ans.sentView.text())
	}
	return s.awaitState(ctx, rc, want, s.cutWait(secs))
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
	reached := err == nil
	ans := sentAnswer{sentView: sentOf(rc), WaitedFor: want.String(), Reached: &reached, Progress: []progressView{}}
	lines := []string{ans.sentView.text()}
	for _, p := range ps {
		ans.Progress = append(ans.Progress, progressView{Mailbox: p.Mailbox, State: p.State.String()})
		lines = append(lines, fmt.Sprintf("%s: %s", p.Mailbox, p.State))
	}
	if err != nil {
		ans.Timeout = timeout.String()
		lines = append(lines, fmt.Sprintf("Not %s within %s.", want, ans.Timeout))
	} else {
		lines = append(lines, fmt.Sprintf("Reached %s.", want))
	}
	return ok(ans, strings.Join(lines, "\n"))
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
	ans := sentAnswer{sentView: sentOf(rc)}
	text := fmt.Sprintf("Broadcast to %s:\n%s", plural(len(rc.Delivered), "name"), ans.sentView.text())
	if err != nil {
		ans.Problem = sentence(err)
		res := mcpgo.NewToolResultStructured(ans, text+"\nProblem: not delivered to every name: "+ans.Problem)
		res.IsError = true
		return res, nil
	}
	return ok(ans, text)
}

// maxAnswer bounds the mail one answer of check, wait or auto_process
// carries, in bytes of text and data: Claude Code puts a tool answer much
// over that (374 KB was measured) in a file and hands its model a 2 KB
// preview, so mail marked read would not reach the model's context. The
// rest stays unread for the next call; the answer says how much is left.
const maxAnswer = 48 << 10

// maxPerAnswer bounds the messages one answer carries.
const maxPerAnswer = 200

// answerLimit returns how many of the oldest unread messages of mb fit in
// one answer (at least one, when there is any mail).
func answerLimit(mb *spool.Mailbox) int {
	peeked, err := mb.Check(spool.CheckOptions{Peek: true, Limit: maxPerAnswer})
	if err != nil || len(peeked) == 0 {
		return maxPerAnswer // the claim finds out, and says why
	}
	size := 0
	for i, m := range peeked {
		if size += len(m.Body) + len(m.Data) + 512; i > 0 && size > maxAnswer { // 512: the other fields
			return i
		}
	}
	return len(peeked)
}

// checkMail reads the agent's oldest unread mail, as much as fits in one
// answer (answerLimit), marking it read, and sends the read receipts its
// senders asked for. It returns the answer and the messages it carries
// (claimed: see handover).
func (s *Server) checkMail(cur *identity) (mailRead, []*spool.Message, error) {
	msgs, err := cur.mb.Check(spool.CheckOptions{Limit: answerLimit(cur.mb)})
	r := mailRead{Name: cur.name, Count: len(msgs), Messages: viewsOf(msgs, s.sp.Now())}
	if len(msgs) > 0 {
		if left, uerr := cur.mb.Unread(); uerr == nil {
			r.More = left
		}
	}
	if err != nil {
		var qe *spool.QuarantineError
		if len(msgs) == 0 && !errors.As(err, &qe) {
			return r, nil, err
		}
		r.Problems = append(r.Problems, sentence(err))
	}
	r.Receipts, r.Problems = s.receipts(cur.name, msgs, r.Problems)
	if len(msgs) > 0 {
		s.touched(inboxURI(cur.name))
		s.touched(statusURI)
	}
	return r, msgs, nil
}

// checkedText is check's and wait's text for r.
func checkedText(r mailRead) string {
	return r.text(fmt.Sprintf("%s for %s, oldest first (now marked read):", plural(r.Count, "new message"), r.Name),
		fmt.Sprintf("No new messages for %s.", r.Name), false)
}

func (s *Server) toolCheck(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, r, msgs, err := s.checkAs(req)
	if err != nil {
		return failed(err)
	}
	res, _ := ok(r, checkedText(r))
	return s.handing.hold(res, cur.mb, msgs)
}

// checkAs checks the mail of the name given as instance_id, which must be
// the one this server holds (check and auto_process).
func (s *Server) checkAs(req mcpgo.CallToolRequest) (*identity, mailRead, []*spool.Message, error) {
	a := argsOf(req)
	given := a.str("instance_id", true)
	if a.err != nil {
		return nil, mailRead{}, nil, a.err
	}
	cur, err := s.me("instance_id", given)
	if err != nil {
		return nil, mailRead{}, nil, err
	}
	r, msgs, err := s.checkMail(cur)
	return cur, r, msgs, err
}

// receipts sends the read receipts asked for by the senders of msgs, which
// me was given (rules.Read). It returns what it did and the problems so
// far plus its own.
func (s *Server) receipts(me string, msgs []*spool.Message, problems []string) (sent, _ []string) {
	for _, rc := range s.rules.Read(me, msgs) {
		if rc.Err != nil {
			problems = append(problems, fmt.Sprintf("no read receipt sent to %s for %s: %s.", rc.To, rc.MessageID, clause(rc.Err)))
			continue
		}
		sent = append(sent, rc.String())
	}
	return sent, problems
}

func (s *Server) toolList(context.Context, mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	names, err := s.sp.List()
	if err != nil && names == nil {
		return failed(err)
	}
	names = append(names, s.sp.FleetInfos()...) // NAME@HOST on other hosts, through the bridge
	me := ""
	if cur := s.agent.who(); cur != nil {
		me = cur.name
	}
	l := listOf(names, me, s.sp.Now())
	if err != nil { // some mailboxes could not be looked at: an error, with what could be listed
		return fail(fmt.Errorf("%w\n%s", err, l.text())), nil
	}
	return ok(l, l.text())
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
	ans := renameAnswer{Old: r.Old, New: r.New, ForwardUntil: timeText(r.ForwardUntil), Waiting: r.Waiting}
	return ok(ans, ans.text())
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
	ans := sentAnswer{sentView: sentOf(rc), File: abs, Bytes: len(content)}
	return ok(ans, fmt.Sprintf("Shared %s (%s): %s", abs, plural(len(content), "byte"), ans.sentView.text()))
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
	ans := sentAnswer{sentView: sentOf(rc), Command: line, ExitCode: res.ExitCode, Outcome: res.Outcome(), TimedOut: res.TimedOut}
	if res.TimedOut {
		r := mcpgo.NewToolResultStructured(ans, fmt.Sprintf("Ran %s: %s; its output so far was shared: %s", line, ans.Outcome, ans.sentView.text()))
		r.IsError = true
		return r, nil
	}
	return ok(ans, fmt.Sprintf("Ran %s: %s. Output shared: %s", line, ans.Outcome, ans.sentView.text()))
}

func (s *Server) toolAutoProcess(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	cur, r, msgs, err := s.checkAs(req)
	if err != nil {
		return failed(err)
	}
	r.LastCheck = timeText(s.sp.Now())
	if err := awareness.New(s.sp).RecordCheck(cur.name); err != nil {
		r.Problems = append(r.Problems, "the time of this check was not recorded: "+clause(err)+".")
		r.LastCheck = ""
	}
	text := r.text(fmt.Sprintf("Auto-processed %s for %s, oldest first (now marked read; check recorded at %s):", plural(r.Count, "message"), r.Name, r.LastCheck),
		fmt.Sprintf("No messages to process for %s (check recorded at %s).", r.Name, r.LastCheck), true)
	res, _ := ok(r, text)
	return s.handing.hold(res, cur.mb, msgs)
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
		return failf("%s; message ids are the id of each message check, wait or search gives, and the message_id of pushed events", clause(err)), nil
	case err != nil:
		return failed(err)
	}
	ans := sentAnswer{sentView: sentOf(rc), InReplyTo: id}
	return ok(ans, fmt.Sprintf("Replied to %s: %s", id, ans.sentView.text()))
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
		r, msgs, err := s.checkMail(cur)
		if err != nil {
			return failed(err)
		}
		if r.Count > 0 {
			res, _ := ok(r, checkedText(r))
			return s.handing.hold(res, cur.mb, msgs)
		}
		select {
		case <-arrival:
		case <-timer.C:
			r.TimedOut, r.Waited = true, timeout.String()
			return ok(r, checkedText(r))
		case <-ctx.Done():
			return failf("wait cancelled: %v", ctx.Err()), nil
		}
	}
}
