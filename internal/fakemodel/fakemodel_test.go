package fakemodel

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAPIs(t *testing.T) {
	srv, err := Start(func(r *Request) Reply {
		if len(r.Last().ToolResults) > 0 {
			return Reply{Text: "got " + r.Last().ToolResults[0].Text}
		}
		return Reply{Tool: &ToolCall{Name: r.ToolName("check"), Input: map[string]any{"instance_id": "bob"}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name, path, body string
		want             []string // in the answer, in order
		last             Message
	}{
		{"anthropic stream, tool call", "/v1/messages",
			`{"model":"m","stream":true,"system":[{"type":"text","text":"sys"}],"tools":[{"name":"mcp__ipc__check"}],"messages":[{"role":"user","content":"hi"}]}`,
			[]string{"event: message_start", `"name":"mcp__ipc__check","type":"tool_use"`, `"partial_json":"{\"instance_id\":\"bob\"}"`, `"stop_reason":"tool_use"`, "event: message_stop"},
			Message{Role: "user", Text: "hi"}},
		{"anthropic JSON, tool result", "/v1/messages",
			`{"model":"m","tools":[{"name":"mcp__ipc__check"}],"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"2 new"}]}]}]}`,
			[]string{`"text":"got 2 new"`, `"stop_reason":"end_turn"`},
			Message{Role: "user", ToolResults: []ToolResult{{ID: "t1", Text: "2 new"}}}},
		{"gemini stream, tool call", "/v1beta/models/g:streamGenerateContent",
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"mcp_ipc_check"}]}]}`,
			[]string{"data: ", `"functionCall":{"args":{"instance_id":"bob"},"name":"mcp_ipc_check"}`},
			Message{Role: "user", Text: "hi"}},
		{"gemini, function response", "/v1beta/models/g:generateContent",
			`{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"mcp_ipc_check","response":{"output":"none"}}}]}],"tools":[{"functionDeclarations":[{"name":"mcp_ipc_check"}]}]}`,
			[]string{`"text":"got {\"output\":\"none\"}"`},
			Message{Role: "user", ToolResults: []ToolResult{{Name: "mcp_ipc_check", Text: `{"output":"none"}`}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := len(srv.Requests())
			resp, err := http.Post(srv.URL+tc.path, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				b.WriteString(sc.Text() + "\n")
			}
			got := b.String()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("answer lacks %q after byte %d:\n%s", w, at, got)
				}
				at += i + len(w)
			}
			r, _, ok := srv.WaitFor(from, time.Second, func(*Request) bool { return true })
			if !ok {
				t.Fatal("request not recorded")
			}
			last, _ := json.Marshal(r.Last())
			want, _ := json.Marshal(tc.last)
			if string(last) != string(want) {
				t.Errorf("decoded last message %s, want %s", last, want)
			}
		})
	}
}
