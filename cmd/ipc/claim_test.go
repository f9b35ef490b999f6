package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// fillUnread puts n messages in bob's new/, as a script delivering by
// rename would (quicker than n fsynced sends).
func (w *world) fillUnread(n int) *spool.Mailbox {
	w.t.Helper()
	mb, err := w.openSpool().EnsureMailbox("bob")
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprintf("%012x", 0xabc000+i)
		text := fmt.Sprintf("From: alice@h\nTo: bob@h\nMessage-ID: <%s@h>\nDate: %s\nSubject: message %d\n\nmessage %d\nsecond line\nthird line\n",
			id, time.Unix(1764600000+int64(i), 0).UTC().Format(time.RFC1123Z), i, i)
		tmp := filepath.Join(mb.Dir, "tmp", id)
		if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
			w.t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(mb.NewDir(), fmt.Sprintf("%d.M1P1Q%dR%s.h", 1764600000+i, i, id))); err != nil {
			w.t.Fatal(err)
		}
	}
	return mb
}

func unread(t *testing.T, mb *spool.Mailbox) int {
	t.Helper()
	n, err := mb.Unread()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCheckHeadMarksOnlyWhatHeadRead: 'ipc check | head -3' with 2,000
// unread marks read what head read (its first message or two), not 2,000.
func TestCheckHeadMarksOnlyWhatHeadRead(t *testing.T) {
	w := newWorld(t)
	mb := w.fillUnread(2000)
	cmd := exec.Command("sh", "-c", `"$0" --as bob check | head -3`, ipcBin)
	cmd.Env = w.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check | head: %v", err)
	}
	if lines := strings.Count(string(out), "\n"); lines != 3 {
		t.Fatalf("head printed %d lines: %q", lines, out)
	}
	left := unread(t, mb)
	if read := 2000 - left; read < 1 || read > 3 {
		t.Errorf("%d messages marked read by 'check | head -3', want the 1 to 3 head read", read)
	}
}

// TestCheckKilledWithFullOutput stops check while its output is full
// (the reader has stopped reading) with SIGTERM and with SIGKILL: what
// the reader did not read stays unread.
func TestCheckKilledWithFullOutput(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			w := newWorld(t)
			mb := w.fillUnread(300)
			r, wr, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cmd := exec.Command(ipcBin, "--as", "bob", "check")
			cmd.Env, cmd.Stdout = w.env, wr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wr.Close()
			// Read the first five messages, then stop reading.
			seen := map[string]bool{}
			idLine := regexp.MustCompile(`^([0-9a-f]{12})  from `)
			br := bufio.NewReader(r)
			for len(seen) < 5 {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("read check's output: %v", err)
				}
				if m := idLine.FindStringSubmatch(line); m != nil {
					seen[m[1]] = true
				}
			}
			time.Sleep(300 * time.Millisecond) // check now waits on a pipe nobody reads
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if sig == syscall.SIGTERM {
				if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
					t.Errorf("check after SIGTERM: exit %d (%v), want 143", code, err)
				}
			}
			// The fifth message's block may still sit in bufio; what was
			// read off the pipe is at most what seen holds plus one.
			if read := 300 - unread(t, mb); read > len(seen)+1 {
				t.Errorf("%d marked read after %s, but the reader took only %d", read, sig, len(seen))
			}
			// Every message the reader never saw is unread still.
			sp := mb
			msgs, err := sp.Check(spool.CheckOptions{Peek: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) < 300-len(seen)-1 {
				t.Errorf("%d unread after %s, want at least %d", len(msgs), sig, 300-len(seen)-1)
			}
		})
	}
}

// TestMCPCheckAnswerNotWrittenPutsBack: an MCP check whose answer cannot
// be written (the client stopped reading: its end of stdout is closed)
// leaves the mail unread.
func TestMCPCheckAnswerNotWrittenPutsBack(t *testing.T) {
	w := newWorld(t)
	mb := w.fillUnread(3)
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	proc := exec.Command(ipcBin, "--as", "bob", "mcp")
	proc.Env, proc.Stdout = w.env, outW
	var stderr syncBuffer
	proc.Stderr = &stderr
	in, err := proc.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	t.Cleanup(func() { in.Close(); _ = proc.Wait() })
	lines := bufio.NewScanner(outR)
	lines.Buffer(make([]byte, 1<<20), 1<<24)
	send := func(s string) {
		if _, err := io.WriteString(in, s+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	for lines.Scan() && !strings.Contains(lines.Text(), `"id":1`) {
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	// The client goes away without reading: nothing it asks for can be
	// written to it any more.
	outR.Close()
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"check","arguments":{"instance_id":"bob"}}}`)
	testkit.Eventually(t, "the server to find it could not answer", 10*time.Second, 10*time.Millisecond, func() bool {
		return strings.Contains(stderr.String(), "its mail put back")
	})
	if n := unread(t, mb); n != 3 {
		t.Errorf("%d unread after a check nobody got the answer to, want 3\nstderr: %s", n, stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a process's writes and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
