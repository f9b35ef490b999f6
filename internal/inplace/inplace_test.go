package inplace

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// tempDir is t.TempDir made with os.MkdirTemp, whose clean-up may fail:
// Go's RemoveAll fails under Wine 8, where make test-windows runs this.
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "inplace-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func TestCheck(t *testing.T) {
	dir := tempDir(t)
	now := time.Now()
	old := now.Add(-2 * Quiet)
	write := func(name, content string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Whether a closed, freshly written file counts as complete at once
	// depends on whether the system can tell who has it open.
	f, _ := os.Open(write("probe", "x", now))
	_, known := platform.OpenForWriting(f)
	f.Close()
	fresh := Writing
	if known {
		fresh = Complete
	}
	tests := []struct {
		name, content string
		mtime         time.Time
		want          State
	}{
		{"closed and quiet", "hello", old, Complete},
		{"closed, just written", "hello", now, fresh},
		{"empty, just written", "", now, Writing},
		{"empty and quiet", "", old, Complete},
		{"1.M1P1.host,S=100", "shorter than announced", now, Writing},
		{"2.M1P1.host,S=100", "shorter than announced, but quiet", old, Complete},
		{"3.M1P1.host,S=5!2,S", "whole", now, fresh}, // ! not :, which NTFS reserves
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(tc.name, tc.content, tc.mtime)
			if got := Check(p, now); got != tc.want {
				t.Errorf("Check = %v, want %v", got, tc.want)
			}
		})
	}
	if got := Check(filepath.Join(dir, "missing"), now); got != Gone {
		t.Errorf("missing file: %v, want gone", got)
	}
	if got := Check(dir, now); got != Gone {
		t.Errorf("directory: %v, want gone", got)
	}
}

// TestOpenForWriting shows a file held open by a writer is being written
// however long it has been quiet, where the system can tell (Linux, Windows).
func TestOpenForWriting(t *testing.T) {
	p := filepath.Join(tempDir(t), "drop")
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString("first half, then a pause"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * Quiet)
	os.Chtimes(p, old, old)
	f, _ := os.Open(p)
	_, known := platform.OpenForWriting(f)
	f.Close()
	if !known {
		if runtime.GOOS == "linux" || runtime.GOOS == "windows" {
			t.Fatalf("%s can tell whether a file is open for writing, but OpenForWriting does not know", runtime.GOOS)
		}
		t.Skipf("%s cannot tell whether a file is open for writing: rule 3 (Quiet) applies", runtime.GOOS)
	}
	if got := Check(p, time.Now()); got != Writing {
		t.Errorf("open for writing: %v, want being written", got)
	}
	w.Close()
	if got := Check(p, time.Now()); got != Complete {
		t.Errorf("closed: %v, want complete", got)
	}
}
