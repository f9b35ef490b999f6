package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/fakemodel"
)

// TestGeminiCLI drives the real Gemini CLI, set up as the README says,
// headless against the fake model: ipc's tools and instructions reach the
// model, and registering through them makes the name online.
func TestGeminiCLI(t *testing.T) {
	bin := npmBin(t, geminiPackage, "gemini")
	w := newWorld(t)
	home := strings.TrimPrefix(w.env[len(w.env)-3], "HOME=")
	project := filepath.Join(home, "project")
	if err := os.MkdirAll(project, 0o755); err != nil {
		t.Fatal(err)
	}
	sp := w.openSpool()
	var online atomic.Bool
	model := startModel(t, func(r *fakemodel.Request) fakemodel.Reply {
		register := r.ToolName("register")
		last := r.Last()
		switch {
		case register == "":
			return fakemodel.Reply{Text: `{"reasoning": "nothing more to do", "next_speaker": "user"}`}
		case len(last.ToolResults) > 0:
			online.Store(sp.Presence("gemini").Online) // while the session runs
			return fakemodel.Reply{Text: "done"}
		case strings.Contains(r.Text(), "TOOL register"):
			return fakemodel.Reply{Tool: &fakemodel.ToolCall{Name: register, Input: map[string]any{"instance_id": "gemini"}}}
		}
		return fakemodel.Reply{Text: "ok"}
	})
	setUpGemini(t, home)

	// Gemini CLI may send its first request before its MCP servers are up
	// on a loaded machine (the model then has no ipc tools): try again.
	var out []byte
	var called *fakemodel.Request
	for attempt := 0; attempt < 3 && called == nil; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := w.geminiCmd(ctx, bin, project, model.URL, `TOOL register {"instance_id":"gemini"}`)
		var err error
		out, err = cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("gemini: %v\n%s", err, out)
		}
		for _, r := range model.Requests() {
			if last := r.Last(); len(last.ToolResults) > 0 && r.ToolName("register") != "" {
				called = r
			}
		}
	}
	if called == nil {
		t.Fatalf("no request carried register's result; gemini said:\n%s", out)
	}
	if res := called.Last().ToolResults[0].Text; !strings.Contains(res, "gemini") {
		t.Errorf("register's result as the model got it: %q", res)
	}
	if !strings.Contains(string(called.Raw), "ipc is mail between") {
		t.Errorf("the server instructions did not reach the model")
	}
	if !online.Load() {
		t.Errorf("gemini was not online while the session ran")
	}
	if !strings.Contains(string(out), "done") {
		t.Errorf("gemini did not print the model's answer:\n%s", out)
	}
}

// setUpGemini writes the README's Gemini CLI settings into home, with the
// API-key sign-in the fake model takes.
func setUpGemini(t *testing.T, home string) {
	t.Helper()
	var settings map[string]any
	if err := json.Unmarshal([]byte(readmeBlock(t, "**Gemini CLI** (`~/.gemini/settings.json`):", "json")), &settings); err != nil {
		t.Fatalf("README Gemini CLI block: %v", err)
	}
	settings["security"] = map[string]any{"auth": map[string]any{"selectedType": "gemini-api-key"}}
	writeJSONFile(t, filepath.Join(home, ".gemini", "settings.json"), settings)
}

// geminiCmd runs Gemini CLI (bin) with prompt in project, against the fake
// model at modelURL, trusting the folder, with this ipc on PATH.
func (w *world) geminiCmd(ctx context.Context, bin, project, modelURL, prompt string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, "--yolo", "-p", prompt)
	cmd.Dir = project
	cmd.Env = append(append([]string(nil), w.env...),
		"PATH="+filepath.Dir(ipcBin)+":"+os.Getenv("PATH"),
		"GEMINI_API_KEY=ipc-test-key", "GOOGLE_GEMINI_BASE_URL="+modelURL,
		"GEMINI_CLI_TRUST_WORKSPACE=true", "GEMINI_TELEMETRY_ENABLED=false", "NO_BROWSER=1")
	return cmd
}
