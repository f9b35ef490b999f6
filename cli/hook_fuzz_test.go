package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzHookInput: whatever Claude Code (or anyone) writes on a hook's
// stdin, the hook exits 0 and prints nothing or one JSON object: a hook
// must never break the session it serves. Seed corpus:
// testdata/fuzz/FuzzHookInput.
func FuzzHookInput(f *testing.F) {
	for _, s := range []string{
		`{"session_id":"s1","hook_event_name":"UserPromptSubmit","cwd":"/tmp"}`,
		`{"hook_event_name":"Stop","stop_hook_active":true}`,
		`{"stop_hook_active":"yes"}`, `[]`, `null`, "\xff\xfe", ``, `{"session_id":` + strings.Repeat("[", 1000),
	} {
		f.Add(s, uint8(0))
	}
	events := []string{"UserPromptSubmit", "PostToolUse", "SessionStart", "Stop", "Nonsense"}
	home := f.TempDir() + "/s"
	env := map[string]string{"IPC_HOME": home, "IPC_NAME": "bob", "IPC_HOOK_STOP": "1"}
	if r := runIPC(f, env, "", "--as", "alice", "send", "bob", "hi \x1b[31mbob"); r.code != 0 {
		f.Fatalf("send: %+v", r)
	}
	f.Fuzz(func(t *testing.T, stdin string, ev uint8) {
		event := events[int(ev)%len(events)]
		r := runIPC(t, env, stdin, "hook", event)
		if r.code != 0 {
			t.Fatalf("hook %s with stdin %q: exit %d, stderr %q", event, stdin, r.code, r.err)
		}
		if out := strings.TrimSpace(r.out); out != "" {
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("hook %s with stdin %q printed %q: not one JSON object", event, stdin, r.out)
			}
		}
	})
}
