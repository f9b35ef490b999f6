package cli

import (
	"errors"
	"os"
	"testing"
)

func TestKinship(t *testing.T) {
	// A process tree: 1 ← 10 (terminal) ← 20 (claude A) ← {21 sh ← 22 hook, 23 mcp A}
	//                          10 ← 30 (claude B) ← 31 (mcp B)
	//                 1 ← 40 (another login) ← 41 (mcp C)
	parents := map[int]int{10: 1, 20: 10, 21: 20, 22: 21, 23: 20, 30: 10, 31: 30, 40: 1, 41: 40}
	parent := func(pid int) (int, error) {
		if p, ok := parents[pid]; ok {
			return p, nil
		}
		return 0, errors.New("no such process")
	}
	hook := ancestry(22, parent, maxCallerClimb)
	for _, tc := range []struct {
		name  string
		owner int
		score int
		ok    bool
	}{
		{"its own session", 23, 3, true}, // 22→21→20 (2) + 23→20 (1)
		{"another session", 31, 5, true}, // meet at 10: 3 + 2
		{"only init in common", 41, 0, false},
		{"itself", 22, 0, true},
		{"a parent", 21, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			score, ok := kinship(hook, ancestry(tc.owner, parent, maxOwnerClimb))
			if ok != tc.ok || (ok && score != tc.score) {
				t.Errorf("kinship = %d, %v; want %d, %v", score, ok, tc.score, tc.ok)
			}
		})
	}
	if got := ancestry(22, parent, 1); len(got) != 2 || got[1] != 21 {
		t.Errorf("ancestry climbing 1 = %v", got)
	}
	if got := ancestry(99, parent, 5); len(got) != 1 {
		t.Errorf("ancestry of an unknown pid = %v", got)
	}
}

func TestParentPID(t *testing.T) {
	pp, err := parentPID(os.Getpid())
	if err != nil || pp != os.Getppid() {
		t.Errorf("parentPID(self) = %d, %v; want %d", pp, err, os.Getppid())
	}
	if _, err := parentPID(1 << 30); err == nil {
		t.Error("parentPID of a missing process gave no error")
	}
}
