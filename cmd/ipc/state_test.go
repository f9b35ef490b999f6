package main

import (
	"encoding/json"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// TestDeliveryStates follows one message from stored to read, as ipc
// status ID, check --json and send --wait-for show it.
func TestDeliveryStates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok("register", "bob")
	id := w.sendIDs("are you there?")[0]
	progress := func() []spool.Progress {
		var ps []spool.Progress
		w.checkJSON(&ps, "status", id)
		return ps
	}
	if ps := progress(); len(ps) != 1 || ps[0].State != spool.Stored || ps[0].Mailbox != "bob" {
		t.Fatalf("status %s after sending: %+v", id, ps)
	}
	// A hook telling the session of it: surfaced.
	contextOf(t, "UserPromptSubmit", w.hook("UserPromptSubmit", hookInput("UserPromptSubmit", "st1", false)))
	if ps := progress(); ps[0].State != spool.Surfaced {
		t.Errorf("after a hook told of it: %s", ps[0].State)
	}
	if out := w.ok("status", id).out; !strings.HasPrefix(out, "bob: surfaced (stored ") || !strings.Contains(out, "surfaced ") {
		t.Errorf("ipc status %s: %q", id, out)
	}
	var peeked []struct {
		ID    string      `json:"id"`
		State spool.State `json:"state"`
	}
	w.checkJSON(&peeked, "--as", "bob", "check", "--peek")
	if len(peeked) != 1 || peeked[0].State != spool.Surfaced {
		t.Errorf("check --peek --json: %+v", peeked)
	}

	// A sender waiting for "read" returns once bob checks, not before.
	send := exec.Command(ipcBin, "--as", "alice", "--json", "send", "bob", "--wait-for", "read", "--timeout", "30s", "read me")
	send.Env = w.env
	var out, errOut strings.Builder
	send.Stdout, send.Stderr = &out, &errOut
	if err := send.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- send.Wait() }()
	// Once it watches bob's cur/ it has delivered, looked at the state and
	// settled down to wait: it must not have returned.
	if runtime.GOOS == "linux" {
		eventually(t, "send --wait-for to watch bob's cur/", func() bool {
			select {
			case err := <-done:
				t.Fatalf("send --wait-for read returned before bob read it: %v %s", err, out.String())
			default:
			}
			return inotifyWatching(send.Process.Pid, w.mailDir("bob", "cur"))
		})
	}
	select {
	case err := <-done:
		t.Fatalf("send --wait-for read returned before bob read it: %v %s", err, out.String())
	default:
	}
	w.checkJSON(&peeked, "--as", "bob", "check")
	if len(peeked) != 2 || peeked[0].State != spool.Read || peeked[1].State != spool.Read {
		t.Errorf("check --json: %+v", peeked)
	}
	select {
	case err := <-done:
		var got struct {
			ID       string           `json:"id"`
			Progress []spool.Progress `json:"progress"`
		}
		if err != nil || json.Unmarshal([]byte(out.String()), &got) != nil || len(got.Progress) != 1 || got.Progress[0].State != spool.Read {
			t.Errorf("send --wait-for read: %v %s (stderr: %s)", err, out.String(), errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("send --wait-for read did not return after bob read it")
	}
	if ps := progress(); ps[0].State != spool.Read {
		t.Errorf("after check: %s", ps[0].State)
	}

	// Not reached in time: exit 1, and it says how far it got.
	r := w.run("--as", "alice", "send", "bob", "--wait-for", "replied", "--timeout", "300ms", "answer me")
	if r.code != 1 || !strings.Contains(r.out, "bob: stored") || !strings.Contains(r.err, "not replied within 300ms") {
		t.Errorf("send --wait-for replied, never replied: %s", r)
	}
	w.fails(2, []string{"--wait-for", "delivered"}, "--as", "alice", "send", "bob", "--wait-for", "delivered", "x")
	w.fails(3, []string{"no mailbox holds a message"}, "status", "ffffffffffff")
}
