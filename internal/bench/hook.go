package bench

import (
	"fmt"
	"path/filepath"
	"time"
)

// hooks measures "ipc hook UserPromptSubmit", the hook Claude Code runs
// before every prompt, on the mailbox of read mail (the scale's read
// messages and a few unread), against the minimal Go program that only
// lists new/.
func (e *env) hooks() []Figure {
	f, err := e.fixtures()
	if err != nil {
		return []Figure{failed("hook", "setup", err)}
	}
	r := e.runner(f.root)
	in := `{"session_id":"bench","hook_event_name":"UserPromptSubmit","prompt":"hi"}`
	newDir := filepath.Join(f.dir(f.read), "new")
	bare := func() (time.Duration, error) { return r.run("", r.bare, []string{"count", newDir}) }
	ipc := func() (time.Duration, error) {
		return r.run(in, r.ipc, []string{"--as", f.read, "hook", "UserPromptSubmit"})
	}
	name := fmt.Sprintf("ipc hook UserPromptSubmit, %s read + %s unread", count(f.read[1:]), count(fmt.Sprint(readUnread)))
	b, i, err := durations(e.scale.Samples, e.scale.Budget, bare, ipc)
	if err != nil {
		return []Figure{failed("hook", name, err)}
	}
	fig := took("hook", name, i.P50, b.P50, "ipc-bare count new/, a process (p50)")
	fig.Note = fmt.Sprintf("%s; p99 %.1f ms vs %.1f ms", samples(i.N), millis(i.P99), millis(b.P99))
	return []Figure{fig}
}
