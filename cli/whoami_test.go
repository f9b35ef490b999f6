package cli

import (
	"errors"
	"os"
	"testing"
)

func TestKinship(t *testing.T) {
	// A process tree: 1 ← 10 (terminal) ← 20 (claude A) ← {21 sh ← 22 hook, 23 mcp A}
	//                          10 ← 30 (claude.exe B, as npm installs it) ← {31 mcp B, 32 hook B}
	//                          10 ← 50 (bash) ← {51 ipc check, 52 ipc watch}
	//                 1 ← 40 (another login) ← 41 (mcp C)
	parents := map[int]int{10: 1, 20: 10, 21: 20, 22: 21, 23: 20, 30: 10, 31: 30, 32: 30, 40: 1, 41: 40, 50: 10, 51: 50, 52: 50}
	comms := map[int]string{1: "init", 10: "tmux", 20: "claude", 21: "sh", 22: "ipc", 23: "ipc", 30: "claude.exe", 31: "ipc", 32: "ipc",
		40: "sshd", 41: "ipc", 50: "bash", 51: "ipc", 52: "ipc"}
	read := func(pid int) (int, string, error) {
		if p, ok := parents[pid]; ok {
			return p, comms[pid], nil
		}
		return 0, "", errors.New("no such process")
	}
	agents := (&App{Getenv: func(string) string { return "" }}).agentSet()
	hook := ancestry(22, read, maxCallerClimb)
	for _, tc := range []struct {
		name   string
		caller []proc
		owner  int
		score  int
		ok     bool
	}{
		{"its own session", hook, 23, 3, true}, // 22→21→20 (2) + 23→20 (1)
		{"another session under the same terminal", hook, 31, 0, false},
		{"a session of claude.exe", ancestry(32, read, maxCallerClimb), 31, 2, true},
		{"only init in common", hook, 41, 0, false},
		{"a shell is no session", ancestry(51, read, maxCallerClimb), 52, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			score, ok := kinship(tc.caller, ancestry(tc.owner, read, maxOwnerClimb), agents)
			if ok != tc.ok || (ok && score != tc.score) {
				t.Errorf("kinship = %d, %v; want %d, %v", score, ok, tc.score, tc.ok)
			}
		})
	}
	if got := ancestry(22, read, 1); len(got) != 2 || got[1] != (proc{21, "sh"}) {
		t.Errorf("ancestry climbing 1 = %v", got)
	}
	if got := ancestry(99, read, 5); len(got) != 1 {
		t.Errorf("ancestry of an unknown pid = %v", got)
	}
}

func TestReadProc(t *testing.T) {
	pp, comm, err := readProc(os.Getpid())
	if err != nil || pp != os.Getppid() || comm == "" {
		t.Errorf("readProc(self) = %d, %q, %v; want %d", pp, comm, err, os.Getppid())
	}
	if _, _, err := readProc(1 << 30); err == nil {
		t.Error("readProc of a missing process gave no error")
	}
}
