//go:build unix

package spool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestUnsafeParent(t *testing.T) {
	const me, mine = 1000, 1000
	for _, tt := range []struct {
		mode         os.FileMode
		owner, group int
		unsafe       bool
	}{
		{0o755, me, mine, false},
		{0o755, 0, 0, false},
		{0o777 | os.ModeSticky, 0, 0, false}, // /tmp
		{0o775, me, mine, false},             // a user-private group
		{0o777, 0, 0, true},
		{0o775, 0, 50, true},
		{0o755, 1001, 1001, true},
	} {
		if got := unsafeParent(tt.mode, tt.owner, tt.group, me, mine) != ""; got != tt.unsafe {
			t.Errorf("mode %v owner %d group %d: unsafe %v, want %v", tt.mode, tt.owner, tt.group, got, tt.unsafe)
		}
	}
}

// A spool below a directory every user may write is refused: any of them
// could rename the spool away and put theirs in its place.
func TestOpenRefusesWritableParent(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := Open(filepath.Join(open, "spool"), WithConfig(DefaultConfig()))
	if !errors.Is(err, ErrUnsafe) {
		t.Fatalf("spool below a 0777 directory: %v, want ErrUnsafe", err)
	}
	if _, err := os.Lstat(filepath.Join(open, "spool")); err == nil {
		t.Error("the refused spool was created")
	}
	if err := os.Chmod(open, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(open, "spool"), WithConfig(DefaultConfig())); err != nil {
		t.Errorf("spool below a sticky 1777 directory (like /tmp): %v", err)
	}
}
