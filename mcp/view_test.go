package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/spool"
)

// TestAnswersAreOneView calls every tool the way a model would, on mail of
// every kind (a verified and an unverified sender, data, a thread, a large
// message), and holds each answer to what view.go promises: its
// structuredContent is valid under the outputSchema the tool declares,
// and its text carries every value of it, so a client that shows the
// model either one shows the same facts.
func TestAnswersAreOneView(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{})
	c, _ := connect(t, srv)
	schemas, descs := toolSchemas(t, c)

	answer := func(tool string, args map[string]any) (map[string]any, string) {
		t.Helper()
		res := call(t, c, tool, args)
		if res.IsError {
			t.Fatalf("%s(%v) failed: %s", tool, args, text(res))
		}
		sc := numbered(t, res.StructuredContent)
		if err := validate(schemas[tool], sc, tool); err != nil {
			t.Errorf("%s: structuredContent does not match its outputSchema: %v\n%s", tool, err, jsonOf(sc))
		}
		for _, k := range keys(sc) {
			if !regexp.MustCompile(`\b` + regexp.QuoteMeta(k) + `\b`).MatchString(descs[tool]) {
				t.Errorf("%s: the answer has %q, which the tool's description does not name", tool, k)
			}
		}
		txt := text(res)
		if os.Getenv("SHOWTEXT") != "" {
			t.Logf("%s:\n%s", tool, txt)
		}
		for _, v := range leaves(sc) {
			if !strings.Contains(txt, v) {
				t.Errorf("%s: the text lacks %q, which structuredContent has:\ntext:\n%s\njson:\n%s", tool, v, txt, jsonOf(sc))
			}
		}
		return sc, txt
	}

	answer("register", map[string]any{"instance_id": "alice"})
	answer("send", map[string]any{"from_id": "alice", "to_id": "alice", "content": "note to self", "data": map[string]any{"n": 1}})
	first := send(t, sp.Root, "bob", "alice", "first line\nsecond line", `{"k":"v","big":9007199254740993}`)
	sc, txt := answer("check", map[string]any{"instance_id": "alice"})
	if want := `{"k":"v","big":9007199254740993}`; !strings.Contains(txt, "Data: "+want) || !strings.Contains(jsonOf(sc), strings.ReplaceAll(want, `"`, `\"`)) {
		t.Errorf("data not carried byte for byte:\n%s\n%s", txt, jsonOf(sc))
	}
	sc, _ = answer("reply", map[string]any{"message_id": first.ID, "content": "thanks"})
	if _, err := sp.Reply("bob", sc["id"].(string), "an answer in the thread", nil); err != nil {
		t.Fatal(err)
	}
	rc, err := sp.Send(spool.Draft{From: "carol", To: []string{"alice", "bob"}, Body: strings.Repeat("twenty kilobytes of text\n", 820)})
	if err != nil || rc.LargeFile == "" {
		t.Fatalf("large send: %+v %v", rc, err)
	}

	sc, txt = answer("check", map[string]any{"instance_id": "alice"})
	if ms := sc["messages"].([]any); len(ms) != 2 || ms[0].(map[string]any)["in_reply_to"] == nil || ms[0].(map[string]any)["thread"] != first.ID {
		t.Errorf("check: want the answer in bob's thread, then the large message:\n%s", txt)
	}
	if n := strings.Count(txt, rc.LargeFile); n != 1 {
		t.Errorf("check names the large file %d times, want once:\n%s", n, txt)
	}
	if n := strings.Count(jsonOf(sc), rc.LargeFile); n != 1 {
		t.Errorf("check's JSON names the large file %d times, want once", n)
	}

	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, []byte("shared words\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	answer("share_file", map[string]any{"from_id": "alice", "to_id": "bob", "filepath": file, "description": "notes"})
	answer("share_command", map[string]any{"from_id": "alice", "to_id": "bob", "command": "sh -c 'echo out; exit 3'"})
	answer("broadcast", map[string]any{"from_id": "alice", "content": "to all"})
	answer("send", map[string]any{"from_id": "alice", "to_id": "bob", "content": "read me?", "wait_for": "read", "timeout_seconds": 0.1})
	answer("search", map[string]any{"query": "from:carol"})
	answer("list_instances", nil)
	send(t, sp.Root, "bob", "alice", "for auto_process", "")
	answer("auto_process", map[string]any{"instance_id": "alice"})
	answer("auto_process", map[string]any{"instance_id": "alice"})
	answer("check", map[string]any{"instance_id": "alice"})
	answer("wait", map[string]any{"timeout_seconds": 0.05})
	send(t, sp.Root, "bob", "alice", "for wait", "")
	answer("wait", map[string]any{"timeout_seconds": 5})
	answer("rename", map[string]any{"old_id": "alice", "new_id": "alicia"})
	answer("register", map[string]any{"instance_id": "alicia"})
}

// toolSchemas returns each tool's outputSchema and description as listed.
func toolSchemas(t *testing.T, c *client.Client) (map[string]map[string]any, map[string]string) {
	t.Helper()
	descs := map[string]string{}
	res, err := c.ListTools(context.Background(), mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, tl := range res.Tools {
		b, err := json.Marshal(tl)
		if err != nil {
			t.Fatal(err)
		}
		var listed struct {
			OutputSchema map[string]any `json:"outputSchema"`
		}
		if err := json.Unmarshal(b, &listed); err != nil || listed.OutputSchema == nil {
			t.Fatalf("tool %s lists no outputSchema (%v): %s", tl.Name, err, b)
		}
		out[tl.Name] = listed.OutputSchema
		descs[tl.Name] = tl.Description
	}
	return out, descs
}

// keys returns the keys of v's objects, of those in its lists too.
func keys(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out = append(out, k)
			if _, isList := e.([]any); isList {
				out = append(out, keys(e)...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, keys(e)...)
		}
	}
	return out
}

// validate checks v against the part of JSON Schema outputSchema uses:
// type, properties, required, additionalProperties false, items.
func validate(schema map[string]any, v any, at string) error {
	want, _ := schema["type"].(string)
	switch x := v.(type) {
	case map[string]any:
		if want != "object" {
			return fmt.Errorf("%s: an object, want %s", at, want)
		}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := x[r]; !ok {
				return fmt.Errorf("%s: required %q missing", at, r)
			}
		}
		for k, kv := range x {
			p, ok := props[k].(map[string]any)
			if !ok {
				if props != nil && schema["additionalProperties"] == false {
					return fmt.Errorf("%s: %q is not in the schema", at, k)
				}
				continue
			}
			if err := validate(p, kv, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		if want != "array" {
			return fmt.Errorf("%s: an array, want %s", at, want)
		}
		items, _ := schema["items"].(map[string]any)
		for i, e := range x {
			if err := validate(items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case string:
		if want != "string" {
			return fmt.Errorf("%s: a string, want %s", at, want)
		}
	case bool:
		if want != "boolean" {
			return fmt.Errorf("%s: a boolean, want %s", at, want)
		}
	case json.Number:
		if _, err := x.Int64(); want != "number" && (want != "integer" || err != nil) {
			return fmt.Errorf("%s: the number %v, want %s", at, x, want)
		}
	case nil:
		return fmt.Errorf("%s: null, want %s", at, want)
	}
	return nil
}

func asStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// leaves returns every string that is not empty and every number that is
// not zero in v, as text would show them; true and false are the text's
// own words and are left to the tests of each tool.
func leaves(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, leaves(x[k])...)
		}
	case []any:
		for _, e := range x {
			out = append(out, leaves(e)...)
		}
	case string:
		if x != "" {
			out = append(out, x)
		}
	case json.Number:
		if x != "0" {
			out = append(out, x.String())
		}
	}
	return out
}

// numbered is v as JSON decodes it, numbers kept as written.
func numbered(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("structuredContent %s: %v", b, err)
	}
	return m
}

func jsonOf(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestAnswerBounded: a mailbox with more mail than one answer should
// carry is read over several checks, oldest first, each message once,
// every answer saying how much is left.
func TestAnswerBounded(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	var ids []string
	for i := range 30 {
		ids = append(ids, send(t, sp.Root, "bob", "alice", fmt.Sprintf("message %d\n%s", i, strings.Repeat("nine kilobytes of words\n", 380)), "").ID)
	}
	var got []string
	for calls := 0; len(got) < len(ids); calls++ {
		if calls > len(ids) {
			t.Fatalf("after %d checks, %d of %d messages read", calls, len(got), len(ids))
		}
		res := call(t, c, "check", map[string]any{"instance_id": "alice"})
		var r mailRead
		structured(t, res, &r)
		if b, _ := json.Marshal(res.StructuredContent); len(b) > 2*maxAnswer {
			t.Errorf("an answer of %d bytes", len(b))
		}
		for _, m := range r.Messages {
			got = append(got, m.ID)
		}
		if left := len(ids) - len(got); r.More != left || (left > 0) != strings.Contains(text(res), fmt.Sprintf("%d more unread", left)) {
			t.Errorf("after %d read, more = %d, want %d; text:\n%s", len(got), r.More, left, text(res)[max(0, len(text(res))-200):])
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("read %v, want each once, oldest first: %v", got, ids)
	}
}
