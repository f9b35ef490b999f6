package mcp

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestInstructionsFit holds the server instructions under the 2,048
// characters Claude Code keeps of them, and to what every client shows:
// no promise that mail is pushed, since most clients drop channel events.
func TestInstructionsFit(t *testing.T) {
	if n := utf8.RuneCountInString(instructions); n >= 2048 {
		t.Errorf("instructions are %d characters; Claude Code cuts them at 2,048", n)
	}
	for _, claim := range []string{"pushed to you", "arrives by itself", "will be pushed"} {
		if strings.Contains(instructions, claim) {
			t.Errorf("instructions promise push (%q), which Gemini CLI, Windsurf and claude -p never show", claim)
		}
	}
	for _, way := range []string{"check", "wait", "hooks", "channel"} {
		if !strings.Contains(instructions, way) {
			t.Errorf("instructions do not say how mail is learnt of by %q", way)
		}
	}
}
