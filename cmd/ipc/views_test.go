package main

// What the model of each real client is handed as the result of each ipc
// tool that reads mail or answers a send: Claude Code gives its model the
// answer's structuredContent as JSON, Gemini CLI the answer's text. Both
// must carry the same facts, the ones the tool's description names.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/fakemodel"
	"github.com/claude-ipc/ipc/spool"
)

// viewStep is one tool call of the scenario; before runs (once) just
// before the model asks for it.
type viewStep struct {
	tool   string
	args   map[string]any
	before func()
}

// viewScenario is the calls every client's model makes, in order, and the
// mail they read, known from the spool.
type viewScenario struct {
	me    string
	steps []viewStep
	mail  map[string]*spool.Message // by id: every message a step reads
	large string                    // the large message's file
}

// newViewScenario seeds me's mailbox with mail of every kind and returns
// the calls: register, check, send, list_instances, search, auto_process
// and wait (the last two with mail sent just before them), then a reply
// to an id that does not exist (a tool error).
func newViewScenario(t *testing.T, w *world, me string) *viewScenario {
	t.Helper()
	sp := w.openSpool()
	sc := &viewScenario{me: me, mail: map[string]*spool.Message{}}
	mustSend := func(d spool.Draft) spool.Receipt {
		rc, err := sp.Send(d)
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	first := mustSend(spool.Draft{From: "carol", To: []string{me}, Body: "first line\nsecond line",
		Data: json.RawMessage(`{"k":"v","big":9007199254740993,"2":"two","1":"one"}`)})
	large := mustSend(spool.Draft{From: "carol", To: []string{me}, Body: strings.Repeat("twenty kilobytes of words\n", 800)})
	sc.large = large.LargeFile
	once := func(f func()) func() {
		var o sync.Once
		return func() { o.Do(f) }
	}
	sc.steps = []viewStep{
		{tool: "register", args: map[string]any{"instance_id": me}},
		{tool: "check", args: map[string]any{"instance_id": me}},
		{tool: "send", args: map[string]any{"from_id": me, "to_id": "bob", "content": "hello bob", "data": map[string]any{"n": 1}}},
		{tool: "list_instances", args: map[string]any{}},
		{tool: "search", args: map[string]any{"query": "from:carol"}},
		{tool: "auto_process", args: map[string]any{"instance_id": me}, before: once(func() {
			mustSend(spool.Draft{From: "bob", To: []string{me}, Body: "for auto_process", ReplyTo: sc.mail[first.ID]})
		})},
		{tool: "wait", args: map[string]any{"timeout_seconds": 20}, before: once(func() {
			mustSend(spool.Draft{From: "dave", To: []string{me}, Body: "for wait"})
		})},
		{tool: "reply", args: map[string]any{"message_id": "0badc0ffee00", "content": "to nothing"}},
	}
	sc.remember(t, sp, first.ID, large.ID)
	return sc
}

// remember reads the messages with ids from me's mailbox without
// claiming them: the truth the views are held to.
func (sc *viewScenario) remember(t *testing.T, sp *spool.Spool, ids ...string) {
	t.Helper()
	mb, err := sp.Mailbox(sc.me)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := mb.Check(spool.CheckOptions{Peek: true, All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		sc.mail[m.ID] = m
	}
	for _, id := range ids {
		if sc.mail[id] == nil {
			t.Fatalf("message %s is not in %s's mailbox", id, sc.me)
		}
	}
}

// script is the fake model: it makes the scenario's calls one after the
// other (asking ToolSearch for a tool Claude Code has deferred), then says
// "done". Which call is next is counted from the conversation, so a
// repeated request asks for the same one.
func (sc *viewScenario) script(r *fakemodel.Request) fakemodel.Reply {
	if r.ToolName("register") == "" && !r.HasTool("ToolSearch") {
		// A side request (titles, Gemini's next-speaker check).
		return fakemodel.Reply{Text: `{"reasoning": "nothing more to do", "next_speaker": "user"}`}
	}
	if !strings.Contains(r.Text(), "VIEWS") {
		return fakemodel.Reply{Text: "ok"}
	}
	done, searched := 0, map[string]bool{}
	for _, m := range r.Messages {
		for _, c := range m.ToolCalls {
			if c.Name == "ToolSearch" {
				if q, _ := c.Input["query"].(string); q != "" {
					searched[strings.TrimPrefix(q, "select:mcp__ipc__")] = true
				}
				continue
			}
			done++
		}
	}
	if done == len(sc.steps) {
		return fakemodel.Reply{Text: "done"}
	}
	st := sc.steps[done]
	full := r.ToolName(st.tool)
	if full == "" && !searched[st.tool] && r.HasTool("ToolSearch") {
		return fakemodel.Reply{Tool: &fakemodel.ToolCall{Name: "ToolSearch", Input: map[string]any{"query": "select:mcp__ipc__" + st.tool}}}
	}
	if full == "" {
		full = "mcp__ipc__" + st.tool
	}
	if st.before != nil {
		st.before()
	}
	return fakemodel.Reply{Tool: &fakemodel.ToolCall{Name: full, Input: st.args}}
}

// results returns what the model was given for each of the scenario's
// calls, from the last request of the conversation, in order.
func (sc *viewScenario) results(t *testing.T, reqs []*fakemodel.Request) []string {
	t.Helper()
	for i := len(reqs) - 1; i >= 0; i-- {
		var calls []fakemodel.ToolCall
		var res []fakemodel.ToolResult
		for _, m := range reqs[i].Messages {
			for _, c := range m.ToolCalls {
				if c.Name != "ToolSearch" {
					calls = append(calls, c)
				}
			}
			res = append(res, m.ToolResults...)
		}
		if len(calls) < len(sc.steps) {
			continue
		}
		out := make([]string, 0, len(calls))
		for _, c := range calls {
			for _, tr := range res {
				if (c.ID != "" && tr.ID == c.ID) || (c.ID == "" && tr.Name == c.Name && !used(out, tr.Text)) {
					out = append(out, tr.Text)
					break
				}
			}
		}
		if len(out) != len(sc.steps) {
			t.Fatalf("%d calls but %d results", len(calls), len(out))
		}
		return out
	}
	t.Fatalf("no request carries the results of all %d calls (%d requests)", len(sc.steps), len(reqs))
	return nil
}

func used(out []string, s string) bool {
	for _, o := range out {
		if o == s {
			return true
		}
	}
	return false
}

// view is one tool result as a model was given it: JSON (the
// structuredContent Claude Code hands on) or text (what Gemini CLI hands
// on), with the facts found in it.
type view struct {
	t    *testing.T
	tool string
	raw  string
	obj  map[string]any // when JSON
}

func (v view) isJSON() bool { return v.obj != nil }

// message returns the facts the view gives of message id: for JSON the
// object with that id, for text its block (from its ID line to the next).
func (v view) message(id string) (map[string]any, string) {
	if v.isJSON() {
		for _, key := range []string{"messages", "hits"} {
			list, _ := v.obj[key].([]any)
			for _, e := range list {
				if m, _ := e.(map[string]any); m["id"] == id {
					return m, ""
				}
			}
		}
		return nil, ""
	}
	i := strings.Index(v.raw, "ID: "+id)
	if i < 0 {
		return nil, ""
	}
	block := v.raw[i:]
	if j := strings.Index(block[1:], "\nID: "); j >= 0 {
		block = block[:j+1]
	}
	if j := regexp.MustCompile(`\n\d+\. ID: `).FindStringIndex(block); j != nil {
		block = block[:j[0]]
	}
	return nil, block
}

// hasMessage checks that the view gives every fact of m the descriptions
// promise, exactly: id, from, to, subject, thread, in_reply_to,
// provenance (and caution), content, data as sent, large_file and
// large_size.
func (v view) hasMessage(m *spool.Message) {
	v.t.Helper()
	obj, block := v.message(m.ID)
	if obj == nil && block == "" {
		v.t.Errorf("%s: the model was not given message %s:\n%s", v.tool, m.ID, v.raw)
		return
	}
	want := map[string]string{"id": m.ID, "from": m.From, "subject": m.Subject, "thread": m.Thread(),
		"provenance": string(m.Provenance), "content": m.Text()}
	if m.InReplyTo != "" {
		want["in_reply_to"] = m.InReplyTo
	}
	if len(m.Data) > 0 {
		want["data"] = string(m.Data)
	}
	if m.LargeFile != "" {
		want["large_file"] = m.LargeFile
	}
	if c := m.Caution(); c != "" {
		want["caution"] = c
	}
	label := map[string]string{"id": "ID: ", "from": "From: ", "subject": "Subject: ", "thread": "Thread: ",
		"provenance": "(provenance: ", "content": "Content: ", "in_reply_to": "In reply to: ", "data": "Data: ",
		"large_file": "Large file: ", "caution": "UNVERIFIED: "}
	for k, val := range want {
		if obj != nil {
			if got, _ := obj[k].(string); got != val {
				v.t.Errorf("%s: message %s: %s is %q, want %q", v.tool, m.ID, k, got, val)
			}
			continue
		}
		if !strings.Contains(block, label[k]+val) {
			v.t.Errorf("%s: message %s: the text has no %q:\n%s", v.tool, m.ID, label[k]+val, block)
		}
	}
	to := strings.Join(m.To, ", ")
	if obj != nil {
		if got, _ := json.Marshal(obj["to"]); string(got) != mustJSON(m.To) {
			v.t.Errorf("%s: message %s: to is %s, want %s", v.tool, m.ID, got, mustJSON(m.To))
		}
		if m.LargeFile != "" && obj["large_size"] != json.Number(itoa(m.LargeSize)) {
			v.t.Errorf("%s: message %s: large_size %v, want %d", v.tool, m.ID, obj["large_size"], m.LargeSize)
		}
	} else {
		if !strings.Contains(block, "To: "+to+"\n") {
			v.t.Errorf("%s: message %s: no To line %q:\n%s", v.tool, m.ID, to, block)
		}
		if m.LargeFile != "" && !strings.Contains(block, m.LargeFile+" ("+itoa(m.LargeSize)+" bytes)") {
			v.t.Errorf("%s: message %s: no size of the large file:\n%s", v.tool, m.ID, block)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// descriptionNames checks that every field the JSON view gives (at the top
// and in each message, hit or name) is named in the tool's description.
func (v view) descriptionNames(desc string) {
	v.t.Helper()
	if !v.isJSON() {
		return
	}
	check := func(obj map[string]any) {
		for k := range obj {
			if !regexp.MustCompile(`\b` + regexp.QuoteMeta(k) + `\b`).MatchString(desc) {
				v.t.Errorf("%s: the model is given field %q, which the tool's description does not name:\n%s", v.tool, k, desc)
			}
		}
	}
	check(v.obj)
	for _, key := range []string{"messages", "hits", "names", "delivered"} {
		list, _ := v.obj[key].([]any)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				check(m)
			}
		}
	}
}

// checkViews holds each result the model was given to the spool's truth.
func (sc *viewScenario) checkViews(t *testing.T, w *world, results []string, decode func(string) view, descs map[string]string) {
	t.Helper()
	sp := w.openSpool()
	bob, _ := sp.Mailbox("bob")
	bobs, _ := bob.Check(spool.CheckOptions{Peek: true, All: true})
	mb, _ := sp.Mailbox(sc.me)
	all, _ := mb.Check(spool.CheckOptions{Peek: true, All: true})
	for _, m := range all {
		sc.mail[m.ID] = m
	}
	byBody := func(ms []*spool.Message, body string) *spool.Message {
		for _, m := range ms {
			if m.Text() == body {
				return m
			}
		}
		t.Fatalf("no message %q", body)
		return nil
	}
	for i, st := range sc.steps {
		v := decode(results[i])
		v.t, v.tool = t, st.tool
		t.Logf("%s was given, for %s:\n%s", "the model", st.tool, v.raw)
		v.descriptionNames(descs[st.tool])
		switch st.tool {
		case "register":
			if !strings.Contains(v.raw, sc.me) || !strings.Contains(v.raw, "2") {
				t.Errorf("register: the name and the 2 waiting are not given: %s", v.raw)
			}
		case "check":
			for _, m := range all {
				if m.From == "carol" {
					v.hasMessage(m)
				}
			}
			if n := strings.Count(v.raw, sc.large); n != 1 {
				t.Errorf("check: the large file's path is given %d times, want once:\n%s", n, v.raw)
			}
		case "send":
			m := byBody(bobs, "hello bob")
			if !strings.Contains(v.raw, m.ID) || !strings.Contains(v.raw, "queued") {
				t.Errorf("send: the id %s and the outcome queued are not given: %s", m.ID, v.raw)
			}
		case "list_instances":
			for _, name := range []string{sc.me, "bob"} { // carol and dave only sent: no mailbox
				if !strings.Contains(v.raw, name) {
					t.Errorf("list_instances: %s not listed: %s", name, v.raw)
				}
			}
		case "search":
			for _, m := range all {
				if m.From == "carol" {
					if obj, block := v.message(m.ID); obj == nil && block == "" {
						t.Errorf("search: hit %s not given: %s", m.ID, v.raw)
					}
				}
			}
		case "auto_process":
			v.hasMessage(byBody(all, "for auto_process"))
			if n := strings.Count(v.raw, "for auto_process"); n != 1 { // a reply: its subject is "Re: first line"
				t.Errorf("auto_process gives its message's text %d times, want once: %s", n, v.raw)
			}
		case "wait":
			v.hasMessage(byBody(all, "for wait"))
		case "reply": // a tool error: its one sentence, whichever view
			if !strings.Contains(v.raw, "0badc0ffee00") || !strings.Contains(v.raw, "in "+sc.me+"'s mailbox; message ids are the id of each message check, wait or search gives") {
				t.Errorf("reply to an unknown id: the model was not given the error's sentence: %s", v.raw)
			}
		}
	}
}

// claudeView decodes what Claude Code handed its model: it must be the
// answer's structuredContent, as JSON.
func claudeView(raw string) view {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil {
		obj = map[string]any{} // not JSON: no field will match
	}
	return view{raw: raw, obj: obj}
}

// geminiView decodes what Gemini CLI handed its model: a functionResponse
// whose output is the answer's text.
func geminiView(raw string) view {
	var resp struct {
		Output string `json:"output"`
	}
	if json.Unmarshal([]byte(raw), &resp) == nil && resp.Output != "" {
		return view{raw: resp.Output}
	}
	return view{raw: raw}
}

// toolDescriptions returns the descriptions of ipc's tools as a client
// listed them to its model, found in the raw requests.
func toolDescriptions(reqs []*fakemodel.Request) map[string]string {
	out := map[string]string{}
	for _, r := range reqs {
		var body struct {
			Tools []struct {
				Name                 string `json:"name"`
				Description          string `json:"description"`
				FunctionDeclarations []struct {
					Name        string `json:"name"`
					Description string `json:"description"`
				} `json:"functionDeclarations"`
			} `json:"tools"`
		}
		_ = json.Unmarshal(r.Raw, &body)
		for _, tl := range body.Tools {
			out[mcpToolName(tl.Name)] = tl.Description
			for _, f := range tl.FunctionDeclarations {
				out[mcpToolName(f.Name)] = f.Description
			}
		}
	}
	return out
}

func mcpToolName(full string) string {
	r := &fakemodel.Request{Tools: []string{full}}
	for _, n := range []string{"register", "check", "send", "list_instances", "search", "auto_process", "wait", "reply"} {
		if r.ToolName(n) != "" {
			return n
		}
	}
	return full
}

// TestModelsSeeOneView runs one scenario through the real Claude Code and
// the real Gemini CLI and holds what each model was handed, for every ipc
// tool that reads mail or answers a send, to the mail in the spool and to
// the tool's description.
func TestModelsSeeOneView(t *testing.T) {
	t.Run("claude", func(t *testing.T) {
		var sc *viewScenario
		ce := newClaude(t, func(r *fakemodel.Request) fakemodel.Reply { return sc.script(r) })
		sc = newViewScenario(t, ce.w, "alice")
		// No hooks: under claude -p the waking Stop hook would keep the
		// process waiting for mail, and what hooks add is not a tool's result.
		writeJSONFile(t, filepath.Join(strings.TrimPrefix(ce.w.env[len(ce.w.env)-3], "HOME="), ".claude", "settings.json"),
			map[string]any{"permissions": map[string]any{"allow": []string{"mcp__ipc"}, "defaultMode": "default"}})
		add := readmeCommand(t, "**Claude Code**", "claude mcp add --scope user ")
		ce.cli(t, add[1:]...)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, ce.claude, "-p", "VIEWS: make the calls")
		cmd.Env, cmd.Dir = ce.env, ce.project
		out, err := cmd.CombinedOutput()
		if err != nil {
			logRequests(t, ce.model.Requests())
			t.Fatalf("claude -p: %v\n%s", err, out)
		}
		reqs := ce.model.Requests()
		descs := toolDescriptions(reqs)
		sc.checkViews(t, ce.w, sc.results(t, reqs), claudeView, descs)
	})
	// Claude Code puts an answer much over 48 KiB in a file and gives its
	// model a 2 KB preview (measured: 374 KB of check). A mailbox with more
	// than one answer holds is read over several checks, each one whole in
	// the model's context.
	t.Run("claude-many", func(t *testing.T) {
		var sc *viewScenario
		ce := newClaude(t, func(r *fakemodel.Request) fakemodel.Reply { return sc.script(r) })
		sc = &viewScenario{me: "alice", mail: map[string]*spool.Message{}}
		sp := ce.w.openSpool()
		for i := range 40 {
			if _, err := sp.Send(spool.Draft{From: "carol", To: []string{"alice"}, Body: fmt.Sprintf("message %d\n%s", i, strings.Repeat("nine kilobytes of words, line after line\n", 220))}); err != nil {
				t.Fatal(err)
			}
		}
		sc.steps = []viewStep{{tool: "register", args: map[string]any{"instance_id": "alice"}},
			{tool: "check", args: map[string]any{"instance_id": "alice"}}, {tool: "check", args: map[string]any{"instance_id": "alice"}}}
		writeJSONFile(t, filepath.Join(strings.TrimPrefix(ce.w.env[len(ce.w.env)-3], "HOME="), ".claude", "settings.json"),
			map[string]any{"permissions": map[string]any{"allow": []string{"mcp__ipc"}, "defaultMode": "default"}})
		add := readmeCommand(t, "**Claude Code**", "claude mcp add --scope user ")
		ce.cli(t, add[1:]...)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, ce.claude, "-p", "VIEWS: make the calls")
		cmd.Env, cmd.Dir = ce.env, ce.project
		if out, err := cmd.CombinedOutput(); err != nil {
			logRequests(t, ce.model.Requests())
			t.Fatalf("claude -p: %v\n%s", err, out)
		}
		res := sc.results(t, ce.model.Requests())
		read := 0
		for i, raw := range res[1:] {
			v := claudeView(raw)
			c, _ := v.obj["count"].(json.Number)
			m, _ := v.obj["more"].(json.Number)
			count, _ := c.Int64()
			more, _ := m.Int64()
			if strings.Contains(raw, "persisted-output") || count == 0 || count+int64(read)+more != 40 {
				t.Errorf("check %d: the model was given %d chars, count %d, more %d (read before: %d): %.300s", i+1, len(raw), count, more, read, raw)
			}
			read += int(count)
		}
	})
	t.Run("gemini", func(t *testing.T) {
		bin := npmBin(t, geminiPackage, "gemini")
		w := newWorld(t)
		home := strings.TrimPrefix(w.env[len(w.env)-3], "HOME=")
		project := filepath.Join(home, "project")
		if err := os.MkdirAll(project, 0o755); err != nil {
			t.Fatal(err)
		}
		sc := newViewScenario(t, w, "gemini") // the README's Gemini set-up names its server gemini
		model := startModel(t, sc.script)
		setUpGemini(t, home)
		// Gemini CLI may send its first request before its MCP servers are up
		// on a loaded machine (the model then has no ipc tools): try again.
		var out []byte
		for attempt := 0; attempt < 3; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			cmd := w.geminiCmd(ctx, bin, project, model.URL, "VIEWS: make the calls")
			var err error
			out, err = cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("gemini: %v\n%s", err, out)
			}
			if strings.Contains(string(out), "done") {
				break
			}
		}
		reqs := model.Requests()
		sc.checkViews(t, w, sc.results(t, reqs), geminiView, toolDescriptions(reqs))
	})
}

// logRequests logs what the fake model was asked, for a failure.
func logRequests(t *testing.T, reqs []*fakemodel.Request) {
	for i, r := range reqs {
		last := r.Last()
		var res []string
		for _, tr := range last.ToolResults {
			res = append(res, tr.Text)
		}
		t.Logf("request %d: %d tools (%s…), %d messages, last %s: %q results %q", i, len(r.Tools), strings.Join(r.Tools[:min(len(r.Tools), 5)], ","), len(r.Messages), last.Role, last.Text, res)
	}
}
