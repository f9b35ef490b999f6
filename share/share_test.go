package share

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/internal/testkit"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"ls -l", []string{"ls", "-l"}},
		{"  git   log  --oneline\t-5 ", []string{"git", "log", "--oneline", "-5"}},
		{`echo 'a b' "c d"`, []string{"echo", "a b", "c d"}},
		{`echo it\'s`, []string{"echo", "it's"}},
		{`echo "say \"hi\" \\ now"`, []string{"echo", `say "hi" \ now`}},
		{`echo "keep \n"`, []string{"echo", `keep \n`}},
		{`echo ''`, []string{"echo", ""}},
		{`grep -r 'a|b' .`, []string{"grep", "-r", "a|b", "."}},
		{"echo one\\\ntwo", []string{"echo", "onetwo"}},
		{"make test # the suite", []string{"make", "test"}},
		{"echo a#b", []string{"echo", "a#b"}},
		{`sh -c 'df -h | sort'`, []string{"sh", "-c", "df -h | sort"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitWords(tt.in)
			if err != nil {
				t.Fatalf("SplitWords(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SplitWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitWordsRefuses(t *testing.T) {
	tests := []struct {
		in     string
		syntax bool // refused as shell syntax, not malformed
	}{
		{"ls | wc", true},
		{"make > out", true},
		{"a; b", true},
		{"sleep 1 &", true},
		{"echo $HOME", true},
		{"echo `date`", true},
		{`echo "$HOME"`, true},
		{"echo 'open", false},
		{`echo "open`, false},
		{`echo trailing\`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitWords(tt.in)
			if err == nil {
				t.Fatalf("SplitWords(%q) = %q, want an error", tt.in, got)
			}
			if errors.Is(err, ErrShellSyntax) != tt.syntax {
				t.Errorf("SplitWords(%q): %v; shell syntax = %v, want %v", tt.in, err, !tt.syntax, tt.syntax)
			}
		})
	}
}

func TestJoinWordsRoundTrip(t *testing.T) {
	for _, words := range [][]string{
		{"go", "test", "./..."},
		{"echo", "it's", "a b", ""},
		{"printf", `%s\n`, "$HOME", "a|b"},
	} {
		line := JoinWords(words)
		got, err := SplitWords(line)
		if err != nil || !slices.Equal(got, words) {
			t.Errorf("SplitWords(JoinWords(%q) = %q) = %q, %v", words, line, got, err)
		}
	}
}

func TestCommand(t *testing.T) {
	line, argv, err := Command([]string{"git log --oneline"})
	if err != nil || line != "git log --oneline" || !slices.Equal(argv, []string{"git", "log", "--oneline"}) {
		t.Errorf("Command(one string) = %q, %q, %v", line, argv, err)
	}
	line, argv, err = Command([]string{"echo", "a b"})
	if err != nil || line != "echo 'a b'" || !slices.Equal(argv, []string{"echo", "a b"}) {
		t.Errorf("Command(words) = %q, %q, %v", line, argv, err)
	}
	for _, args := range [][]string{nil, {""}, {"   "}, {"ls | wc"}} {
		if _, _, err := Command(args); err == nil {
			t.Errorf("Command(%q) succeeded", args)
		}
	}
}

func TestRunCommand(t *testing.T) {
	res, err := RunCommand(context.Background(), "sh", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.TimedOut || res.Stdout.String() != "out\n" || res.Stderr.String() != "err\n" {
		t.Errorf("got exit %d timed out %v stdout %q stderr %q", res.ExitCode, res.TimedOut, res.Stdout.String(), res.Stderr.String())
	}
	subject, body, data := res.Message("a test")
	var d CommandData
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Type != "command" || d.ExitCode != 3 || d.Stdout != "out\n" || d.Stderr != "err\n" || d.Description != "a test" {
		t.Errorf("data = %+v", d)
	}
	if subject != "$ sh: exit 3" || !strings.Contains(body, "--- stdout ---\nout\n") || !strings.Contains(body, "exit code 3") {
		t.Errorf("subject %q body %q", subject, body)
	}
}

func TestRunCommandTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The child of sh outlives sh unless the whole group is killed.
	res, err := RunCommand(context.Background(), "", []string{"sh", "-c", "sleep 30 & echo $! > " + pidFile + "; wait"}, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != 128+int(syscall.SIGKILL) {
		t.Fatalf("timed out %v exit %d, want a kill at the limit", res.TimedOut, res.ExitCode)
	}
	if !strings.Contains(res.Outcome(), "timed out after 200ms") {
		t.Errorf("Outcome() = %q", res.Outcome())
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for platform.Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still runs after the time limit", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunCommandOutputCapped(t *testing.T) {
	res, err := RunCommand(context.Background(), "", []string{"head", "-c", "200000", "/dev/zero"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stdout.String()) != MaxCapture || res.Stdout.Total() != 200000 || !res.Stdout.Truncated() {
		t.Errorf("kept %d of %d bytes, truncated %v", len(res.Stdout.String()), res.Stdout.Total(), res.Stdout.Truncated())
	}
	_, body, _ := res.Message("")
	if !strings.Contains(body, "[stdout truncated: 200000 bytes, the first 65536 shown]") {
		t.Errorf("body does not say the output was cut")
	}
}

func TestRunCommandNotFound(t *testing.T) {
	if _, err := RunCommand(context.Background(), "", []string{"no-such-program-ipc-test"}, time.Second); err == nil {
		t.Fatal("running a missing program succeeded")
	}
}

func TestReadShareFile(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.md")
	if err := os.WriteFile(text, []byte("plan: ship it\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	abs, content, err := ReadShareFile(text)
	if err != nil || abs != text || string(content) != "plan: ship it\n" {
		t.Fatalf("ReadShareFile = %q, %q, %v", abs, content, err)
	}
	subject, body, data := FileMessage(abs, content, "the plan")
	var d FileData
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if subject != "File: notes.md (the plan)" || body != "plan: ship it\n" || d.Type != "file" || d.Path != text || d.Size != 14 {
		t.Errorf("FileMessage = %q, %q, %+v", subject, body, d)
	}

	binary := filepath.Join(dir, "bin")
	fifo := filepath.Join(dir, "fifo")
	if err := os.WriteFile(binary, []byte{0, 1, 2}, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Mkfifo(fifo); errors.Is(err, errors.ErrUnsupported) {
		t.Skip("no FIFOs on this system")
	} else if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, why string }{
		{dir, "a directory"},
		{link, "a directory"},
		{fifo, "a FIFO"},
		{binary, "binary content"},
		{filepath.Join(dir, "missing"), "no such file"},
	} {
		_, _, err := ReadShareFile(tt.path)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("ReadShareFile(%s) = %v, want a refusal saying %q", tt.path, err, tt.why)
		}
	}
}
