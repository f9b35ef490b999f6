package spool

import (
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The subject and the summary of a huge one-line body cost memory for what
// they keep, not four bytes a rune of the whole line (60 MB became 240 MB).
func TestSummariesOfAHugeLineAllocateLittle(t *testing.T) {
	line := strings.Repeat("é", 8<<20) // 16 MiB, one line
	var subject, summary string
	if n := allocated(func() { subject, summary = Subject(line), firstLines(line, 800) }); n > 1<<20 {
		t.Errorf("Subject and firstLines of a %d MiB line allocated %d MiB", len(line)>>20, n>>20)
	}
	if want := strings.Repeat("é", 59) + "…"; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	if want := strings.Repeat("é", 199) + "…"; summary != want {
		t.Errorf("summary of %d runes, want 200", len([]rune(summary)))
	}
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"}, {"exactly10!", 10, "exactly10!"}, {"eleven runes", 10, "eleven ru…"}, {"日本語テキスト", 4, "日本語…"},
	} {
		if got := shorten(tt.in, tt.n); got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	if got := firstLines("one\ntwo\nthree\n", 9); got != "one\ntwo\n" {
		t.Errorf("firstLines = %q", got)
	}
}
