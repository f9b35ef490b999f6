package mcp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/internal/mcptest"
	"github.com/claude-ipc/ipc/spool"
)

func TestInitializeAdvertisesChannelAndTools(t *testing.T) {
	srv := startServer(t, openSpool(t, testConfig()), Options{})
	c, _ := connectUninitialized(t, srv)
	res := initialize(t, c)
	if res.ServerInfo.Name != ServerName {
		t.Errorf("server name %q, want %q", res.ServerInfo.Name, ServerName)
	}
	if _, ok := res.Capabilities.Experimental[ChannelCapability]; !ok {
		t.Errorf("capabilities %+v lack experimental[%q]", res.Capabilities, ChannelCapability)
	}
	if res.Capabilities.Resources == nil || !res.Capabilities.Resources.Subscribe {
		t.Errorf("resources capability %+v does not offer subscribe", res.Capabilities.Resources)
	}
	for _, phrase := range []string{"register this instance as", "msg NAME:", "check messages", "broadcast:", "who's online?", "rename to", "start auto checking 5", `<channel source="ipc"`} {
		if !strings.Contains(res.Instructions, phrase) {
			t.Errorf("instructions do not teach %q", phrase)
		}
	}
	tools, err := c.ListTools(context.Background(), mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string][]string{
		"register":       {"instance_id"},
		"send":           {"from_id", "to_id", "content", "data", "wait_for", "timeout_seconds"},
		"broadcast":      {"from_id", "content", "data"},
		"check":          {"instance_id"},
		"list_instances": nil,
		"rename":         {"old_id", "new_id"},
		"share_file":     {"from_id", "to_id", "filepath", "description"},
		"share_command":  {"from_id", "to_id", "command", "description"},
		"auto_process":   {"instance_id"},
		"reply":          {"message_id", "content"},
		"wait":           {"timeout_seconds"},
		"search":         {"query", "limit"},
	}
	readOnly := map[string]bool{"list_instances": true, "search": true} // check and wait mark mail read
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
		want, ok := params[tl.Name]
		if !ok {
			t.Errorf("unexpected tool %q", tl.Name)
			continue
		}
		var got []string
		for p := range tl.InputSchema.Properties {
			got = append(got, p)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s parameters %v, want %v", tl.Name, got, want)
		}
		a := tl.Annotations
		if *a.ReadOnlyHint != readOnly[tl.Name] {
			t.Errorf("%s readOnlyHint %v", tl.Name, *a.ReadOnlyHint)
		}
		runs := tl.Name == "share_command"
		if *a.DestructiveHint != runs || *a.OpenWorldHint != runs {
			t.Errorf("%s destructive %v open world %v", tl.Name, *a.DestructiveHint, *a.OpenWorldHint)
		}
		if tl.Description == "" {
			t.Errorf("%s has no description", tl.Name)
		}
	}
	if len(names) != len(params) {
		t.Errorf("tools %v, want %d", names, len(params))
	}
}

func TestRegisterSendAnswers(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{})
	c, _ := connect(t, srv)

	if got := mustOK(t, c, "register", map[string]any{"instance_id": "alice"}); !strings.Contains(got, "Registered as alice. No messages waiting.") {
		t.Errorf("register: %q", got)
	}
	if p := sp.Presence("alice"); !p.Online || p.PID != os.Getpid() {
		t.Errorf("alice not online after register: %+v", p)
	}
	if got := mustOK(t, c, "register", map[string]any{"instance_id": "alice"}); !strings.Contains(got, "already registered as alice") {
		t.Errorf("register again: %q", got)
	}

	got := mustOK(t, c, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "hi bob"})
	if !strings.HasPrefix(got, "queued for bob (not yet registered)") {
		t.Errorf("send to a new name: %q", got)
	}
	bob, err := sp.Claim("bob")
	if err != nil {
		t.Fatal(err)
	}
	res := call(t, c, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "again", "data": map[string]any{"n": 1}})
	if res.IsError || !strings.HasPrefix(text(res), "sent to bob (id ") {
		t.Errorf("send to a registered name: %q", text(res))
	}
	var rc spool.Receipt
	structured(t, res, &rc)
	if len(rc.ID) != 12 || len(rc.Delivered) != 1 || rc.Delivered[0].Mailbox != "bob" {
		t.Errorf("structured receipt %+v", rc)
	}
	if _, err := sp.Rename(bob, "robert"); err != nil {
		t.Fatal(err)
	}
	if got := mustOK(t, c, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "third"}); !strings.HasPrefix(got, "forwarded from bob to robert") {
		t.Errorf("send to a renamed name: %q", got)
	}
	mb, _ := sp.Mailbox("robert")
	msgs, err := mb.Check(spool.CheckOptions{})
	if err != nil || len(msgs) != 3 {
		t.Fatalf("robert has %d messages (%v), want 3", len(msgs), err)
	}
	if msgs[1].From != "alice" || string(msgs[1].Data) != `{"n":1}` {
		t.Errorf("second message %+v", msgs[1])
	}
}

func TestToolErrors(t *testing.T) {
	c := testConfig()
	c.RatePerMinute = 2
	sp := openSpool(t, c)
	srv := startServer(t, sp, Options{CommandTimeout: 300 * time.Millisecond})
	cl, _ := connect(t, srv)

	// Before register.
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "x"}},
		{"broadcast", map[string]any{"from_id": "alice", "content": "x"}},
		{"check", map[string]any{"instance_id": "alice"}},
		{"auto_process", map[string]any{"instance_id": "alice"}},
		{"rename", map[string]any{"old_id": "alice", "new_id": "carol"}},
		{"reply", map[string]any{"message_id": "abcd1234", "content": "x"}},
		{"wait", map[string]any{"timeout_seconds": 0}},
		{"share_file", map[string]any{"from_id": "alice", "to_id": "bob", "filepath": "/etc/hostname"}},
		{"share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": "true"}},
	} {
		mustFail(t, cl, tc.tool, tc.args, "Not registered: call register(instance_id) first")
	}

	other, err := sp.Claim("taken")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	mustFail(t, cl, "register", map[string]any{"instance_id": "no spaces"}, `Argument instance_id: invalid name "no spaces": use 1 to 32 letters, digits, '-' or '_'.`)
	mustFail(t, cl, "register", map[string]any{"instance_id": strings.Repeat("x", 33)}, "invalid name")
	mustFail(t, cl, "register", map[string]any{"instance_id": "taken"}, "The name taken is held by another live process")
	mustFail(t, cl, "register", map[string]any{}, "Argument instance_id is missing.")
	mustOK(t, cl, "register", map[string]any{"instance_id": "alice"})

	dir := t.TempDir()
	tests := []struct {
		name, tool string
		args       map[string]any
		want       string
	}{
		{"someone else", "send", map[string]any{"from_id": "mallory", "to_id": "bob", "content": "x"}, "You are registered as alice, not mallory"},
		{"bad recipient", "send", map[string]any{"from_id": "alice", "to_id": "bob smith", "content": "x"}, `Argument to_id: invalid name "bob smith"`},
		{"empty content", "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "  "}, "The message is empty"},
		{"data not an object", "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "x", "data": "text"}, "Argument data must be a JSON object"},
		{"missing content", "send", map[string]any{"from_id": "alice", "to_id": "bob"}, "Argument content is missing."},
		{"unknown message", "reply", map[string]any{"message_id": "abcdef123456", "content": "x"}, `no message "abcdef123456" in alice's mailbox`},
		{"short id", "reply", map[string]any{"message_id": "ab", "content": "x"}, "too short"},
		{"check for someone else", "check", map[string]any{"instance_id": "bob"}, "You are registered as alice, not bob"},
		{"share a directory", "share_file", map[string]any{"from_id": "alice", "to_id": "bob", "filepath": dir}, "a directory, not a file"},
		{"share nothing", "share_file", map[string]any{"from_id": "alice", "to_id": "bob", "filepath": filepath.Join(dir, "missing")}, "no such file"},
		{"shell syntax", "share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": "ls | wc"}, "shell syntax"},
		{"no program", "share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": "no-such-program-ipc"}, "Could not run no-such-program-ipc"},
		{"rename to the same", "rename", map[string]any{"old_id": "alice", "new_id": "alice"}, "same as the old"},
		{"rename to a bad name", "rename", map[string]any{"old_id": "alice", "new_id": "a/b"}, "Argument new_id: invalid name"},
		{"rename someone else", "rename", map[string]any{"old_id": "bob", "new_id": "carol"}, "You are registered as alice, not bob"},
		{"wait for less than nothing", "wait", map[string]any{"timeout_seconds": -1}, "Argument timeout_seconds must be 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustFail(t, cl, tt.tool, tt.args, tt.want) })
	}

	t.Run("share_command timeout", func(t *testing.T) {
		got := mustFail(t, cl, "share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": "sleep 30"}, "timed out after 300ms (killed)")
		if !strings.Contains(got, "output so far was shared") {
			t.Errorf("timeout result does not say what was sent: %q", got)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		c := testConfig()
		c.RatePerMinute = 2
		srv := startServer(t, openSpool(t, c), Options{Name: "alice"})
		cl, _ := connect(t, srv)
		mustOK(t, cl, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "one"})
		mustOK(t, cl, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "two"})
		got := mustFail(t, cl, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "three"}, "Rate limit: alice has sent 2 messages in the last minute; wait")
		if !strings.Contains(got, "then try again") {
			t.Errorf("rate limit error does not say what to do: %q", got)
		}
	})
	t.Run("nobody to broadcast to", func(t *testing.T) {
		srv := startServer(t, openSpool(t, testConfig()), Options{Name: "alice"})
		cl, _ := connect(t, srv)
		mustFail(t, cl, "broadcast", map[string]any{"from_id": "alice", "content": "x"}, "Nobody to broadcast to yet")
	})
	t.Run("mailbox full", func(t *testing.T) {
		c := testConfig()
		c.MaxUnread = 1
		sp := openSpool(t, c)
		srv := startServer(t, sp, Options{Name: "alice"})
		cl, _ := connect(t, srv)
		mustOK(t, cl, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "one"})
		mustFail(t, cl, "send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "two"}, "The mailbox of bob is full (1 unread messages); try again once bob has read some.")
	})
	t.Run("too soon to rename", func(t *testing.T) {
		sp := openSpool(t, testConfig())
		srv := startServer(t, sp, Options{Name: "dave"})
		cl, _ := connect(t, srv)
		mustOK(t, cl, "rename", map[string]any{"old_id": "dave", "new_id": "dave2"})
		mustFail(t, cl, "rename", map[string]any{"old_id": "dave2", "new_id": "dave3"}, "rename again in")
	})
}

func TestCheckMarksReadAndSendsReceipts(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	if got := mustOK(t, c, "check", map[string]any{"instance_id": "alice"}); got != "No new messages for alice." {
		t.Errorf("empty check: %q", got)
	}
	first := send(t, sp.Root, "bob", "alice", "first\nsecond line", "")
	time.Sleep(2 * time.Millisecond) // distinct dates, so "oldest first" is checkable
	second := send(t, sp.Root, "carol", "alice", "please confirm", `{"receipt":true,"k":"v"}`)

	res := call(t, c, "check", map[string]any{"instance_id": "alice"})
	got := text(res)
	i, j := strings.Index(got, "ID: "+first.ID), strings.Index(got, "ID: "+second.ID)
	if res.IsError || i < 0 || j < 0 || i > j {
		t.Fatalf("check did not list both, oldest first: %q", got)
	}
	for _, want := range []string{"2 new messages for alice", "From: bob (provenance: cli; UNVERIFIED: unverified sender: ", "Content: first\nsecond line", "From: carol", `Data: {"receipt":true,"k":"v"}`, "Read receipt sent to carol for " + second.ID} {
		if !strings.Contains(got, want) {
			t.Errorf("check output lacks %q:\n%s", want, got)
		}
	}
	var ck mailRead
	structured(t, res, &ck)
	if ck.Count != 2 || ck.Messages[0].ID != first.ID || len(ck.Receipts) != 1 {
		t.Errorf("structured check %+v", ck)
	}
	if n := unread(t, sp, "alice"); n != 0 {
		t.Errorf("%d unread after check", n)
	}
	carol, _ := sp.Mailbox("carol")
	receipts, _ := carol.Check(spool.CheckOptions{})
	if len(receipts) != 1 || receipts[0].InReplyTo != second.ID || !strings.Contains(string(receipts[0].Data), `"type":"receipt"`) {
		t.Errorf("carol's receipt: %+v", receipts)
	}
	if n := unread(t, sp, "bob"); n != 0 {
		t.Errorf("bob got %d messages but asked for no receipt", n)
	}
}

func TestAutoProcessSummarizesAndRecords(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	if got := mustOK(t, c, "auto_process", map[string]any{"instance_id": "alice"}); !strings.HasPrefix(got, "No messages to process for alice (check recorded at ") {
		t.Errorf("empty auto_process: %q", got)
	}
	rc := send(t, sp.Root, "bob", "alice", "deploy finished\nall green", "")
	got := mustOK(t, c, "auto_process", map[string]any{"instance_id": "alice"})
	if !strings.Contains(got, "Auto-processed 1 message for alice") || !strings.Contains(got, "1. ID: "+rc.ID+"\nFrom: bob (provenance: cli; UNVERIFIED: ") ||
		!strings.Contains(got, "\nContent: deploy finished\nall green") || strings.Count(got, "all green") != 1 {
		t.Errorf("auto_process: %q", got)
	}
	ac, err := awareness.New(sp).AutoCheck("alice")
	if err != nil || ac.LastCheck.IsZero() {
		t.Errorf("last check not recorded: %+v %v", ac, err)
	}
	if n := unread(t, sp, "bob"); n != 0 {
		t.Errorf("auto_process acknowledged bob without being asked (%d messages)", n)
	}
}

func TestReplyKeepsThread(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	rc := send(t, sp.Root, "bob", "alice", "question?", "")
	got := mustOK(t, c, "reply", map[string]any{"message_id": rc.ID[:6], "content": "answer"})
	if !strings.HasPrefix(got, "Replied to "+rc.ID[:6]+": queued for bob (not yet registered)") {
		t.Errorf("reply: %q", got)
	}
	bob, _ := sp.Mailbox("bob")
	msgs, _ := bob.Check(spool.CheckOptions{})
	if len(msgs) != 1 || msgs[0].InReplyTo != rc.ID || msgs[0].From != "alice" || strings.TrimSpace(msgs[0].Body) != "answer" {
		t.Errorf("bob got %+v", *msgs[0])
	}
}

func TestWait(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	res := call(t, c, "wait", map[string]any{"timeout_seconds": 0.05})
	var ck mailRead
	structured(t, res, &ck)
	if res.IsError || !ck.TimedOut || !strings.Contains(text(res), "No mail arrived for alice within 50ms") {
		t.Errorf("wait with nothing coming: %q", text(res))
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		send(t, sp.Root, "bob", "alice", "here it is", "")
	}()
	got := mustOK(t, c, "wait", map[string]any{"timeout_seconds": 10})
	if !strings.Contains(got, "Content: here it is") {
		t.Errorf("wait: %q", got)
	}
}

func TestListInstances(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	send(t, sp.Root, "alice", "bob", "hi", "")
	res := call(t, c, "list_instances", nil)
	got := text(res)
	if !strings.Contains(got, "2 names, 1 online:") || !regexpMatch(`alice\s+online\s+0 unread\s+last seen just now \(\S+\)\s+← you`, got) ||
		!regexpMatch(`bob\s+offline\s+1 unread\s+last seen never\s+\(never registered: mail waits for it\)`, got) {
		t.Errorf("list_instances:\n%s", got)
	}
	var l listAnswer
	structured(t, res, &l)
	if l.You != "alice" || len(l.Names) != 2 || !l.Names[0].Online {
		t.Errorf("structured list %+v", l)
	}
}

func TestRenameForwardsAndFollows(t *testing.T) {
	sp, _, c, n := asAlice(t)
	if o, err := sp.Claim("bob"); err != nil { // bob has a mailbox, to be told
		t.Fatal(err)
	} else {
		o.Release()
	}
	send(t, sp.Root, "bob", "alice", "before", "")
	n.Await(t, ChannelMethod, "the first push", func(l []mcpgo.JSONRPCNotification) bool { return len(l) == 1 })

	got := mustOK(t, c, "rename", map[string]any{"old_id": "alice", "new_id": "carol"})
	if !strings.Contains(got, "Renamed alice to carol. Mail sent to alice is forwarded to carol until") || !strings.Contains(got, "1 message waiting") {
		t.Errorf("rename: %q", got)
	}
	if sp.Presence("alice").Online || !sp.Presence("carol").Online {
		t.Errorf("after rename alice online %v, carol online %v", sp.Presence("alice").Online, sp.Presence("carol").Online)
	}
	bob, _ := sp.Mailbox("bob")
	notice, _ := bob.Check(spool.CheckOptions{})
	if len(notice) != 1 || !strings.Contains(notice[0].Body, "alice renamed to carol") {
		t.Errorf("bob was not told: %+v", notice)
	}
	// Mail to the old name reaches the new one, and the message moved by
	// the rename is not pushed again: the push of "after" comes after the
	// watcher reported the moved file.
	send(t, sp.Root, "bob", "alice", "after", "")
	l := n.Await(t, ChannelMethod, "the push after the rename", func(l []mcpgo.JSONRPCNotification) bool { return len(l) >= 2 })
	if len(l) != 2 {
		t.Fatalf("%d pushes, want 2 (the moved message pushed again?)", len(l))
	}
	ev := decodeChannel(t, l[1])
	if !strings.HasSuffix(ev.Content, "]\nafter") || ev.Meta["to"] != "carol" {
		t.Errorf("push after rename %+v", ev)
	}
	if got := mustOK(t, c, "check", map[string]any{"instance_id": "carol"}); !strings.Contains(got, "2 new messages for carol") {
		t.Errorf("check after rename: %q", got)
	}
}

func TestShareFileAndCommand(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	path := filepath.Join(t.TempDir(), "plan.md")
	if err := os.WriteFile(path, []byte("ship friday\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := mustOK(t, c, "share_file", map[string]any{"from_id": "alice", "to_id": "bob", "filepath": path, "description": "the plan"})
	if !strings.Contains(got, "Shared "+path+" (12 bytes): queued for bob") {
		t.Errorf("share_file: %q", got)
	}
	got = mustOK(t, c, "share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": "sh -c 'echo out; echo err >&2; exit 4'"})
	if !strings.Contains(got, "exit 4. Output shared: queued for bob") {
		t.Errorf("share_command: %q", got)
	}
	bob, _ := sp.Mailbox("bob")
	msgs, _ := bob.Check(spool.CheckOptions{})
	if len(msgs) != 2 {
		t.Fatalf("bob got %d messages", len(msgs))
	}
	var file, cmd map[string]any
	json.Unmarshal(msgs[0].Data, &file)
	json.Unmarshal(msgs[1].Data, &cmd)
	if file["type"] != "file" || file["path"] != path || file["description"] != "the plan" || msgs[0].Body != "ship friday\n" {
		t.Errorf("file message %+v data %v", msgs[0], file)
	}
	if cmd["type"] != "command" || cmd["stdout"] != "out\n" || cmd["stderr"] != "err\n" || cmd["exit_code"] != float64(4) {
		t.Errorf("command data %v", cmd)
	}
}

func TestRegisterAgainSwitchesName(t *testing.T) {
	sp, _, c, n := asAlice(t)
	got := mustOK(t, c, "register", map[string]any{"instance_id": "zed"})
	if !strings.Contains(got, "Registered as zed (the name alice is given up).") {
		t.Errorf("register another name: %q", got)
	}
	if sp.Presence("alice").Online || !sp.Presence("zed").Online {
		t.Error("alice still online, or zed not online")
	}
	send(t, sp.Root, "bob", "zed", "for zed", "")
	l := n.Await(t, ChannelMethod, "a push for zed", func(l []mcpgo.JSONRPCNotification) bool { return len(l) == 1 })
	if ev := decodeChannel(t, l[0]); ev.Meta["to"] != "zed" {
		t.Errorf("push %+v", ev)
	}
}

func TestCloseTakesNameOffline(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startUnclosed(t, sp, Options{Name: "alice"})
	if !sp.Presence("alice").Online {
		t.Fatal("alice not online")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if sp.Presence("alice").Online {
		t.Error("alice still online after Close")
	}
}

func TestNameTakenAtStartLeavesServerUsable(t *testing.T) {
	sp := openSpool(t, testConfig())
	o, err := sp.Claim("alice")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	srv := startServer(t, sp, Options{Name: "alice"})
	c, _ := connect(t, srv)
	mustFail(t, c, "check", map[string]any{"instance_id": "alice"}, "Not registered")
	mustOK(t, c, "register", map[string]any{"instance_id": "alice2"})
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	sp := openSpool(t, testConfig())
	srv := startUnclosed(t, sp, Options{Name: "alice"})
	c := inProcess(t, srv)
	n := newNotes()
	mcptest.Start(t, c, n)
	initialize(t, c)
	mustOK(t, c, "list_instances", nil)
	//lint:ignore SA1019 resources/subscribe is how legacy-protocol clients subscribe
	if err := c.Subscribe(context.Background(), mcpgo.SubscribeRequest{Params: mcpgo.SubscribeParams{URI: inboxURI("bob")}}); err != nil {
		t.Fatal(err)
	}
	send(t, sp.Root, "bob", "alice", "hi", "")
	n.Await(t, ChannelMethod, "a push", func(l []mcpgo.JSONRPCNotification) bool { return len(l) == 1 })
	c.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
