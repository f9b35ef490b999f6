//go:build unix

package platform

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestLinkUnlinkRace holds that the rename a file system without a
// no-replace rename gets (link, then unlink; held or by path) moves a file exactly once
// when four movers race for it under different new names, as readers
// claiming one message do once a clash has given each a fresh name: one
// succeeds, and the others fail leaving nothing behind.
func TestLinkUnlinkRace(t *testing.T) {
	root := tempDir(t)
	for _, d := range []string{"new", "cur"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	from, err := OpenDir(filepath.Join(root, "new"))
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	to, err := OpenDir(filepath.Join(root, "cur"))
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	moves := []struct {
		name string
		move func(msg, newname string) error
	}{
		{"held", func(msg, n string) error { return from.linkUnlinkAt(msg, to, n) }},
		{"by path", func(msg, n string) error { return linkUnlink(from.Join(msg), to.Join(n)) }},
	}
	for round := 0; round < 600; round++ {
		mv := moves[round%2]
		msg := fmt.Sprintf("m%d", round)
		if err := os.WriteFile(from.Join(msg), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		won := make([]bool, 4)
		for i := range won {
			wg.Add(1)
			go func() {
				defer wg.Done()
				won[i] = mv.move(msg, fmt.Sprintf("%s.%d", msg, i)) == nil
			}()
		}
		wg.Wait()
		wins, names := 0, 0
		for i, w := range won {
			if w {
				wins++
			}
			if _, err := os.Lstat(to.Join(fmt.Sprintf("%s.%d", msg, i))); err == nil {
				names++
			}
		}
		if wins != 1 || names != 1 {
			t.Fatalf("%s, round %d: %d movers succeeded and %d names are in cur/, want one of each", mv.name, round, wins, names)
		}
	}
}
