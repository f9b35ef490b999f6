package testkit

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "%d\n", i)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	got := b.Bytes()
	got[0] = 'x'
	if b.String()[0] == 'x' {
		t.Error("Bytes returned the buffer itself, not a copy")
	}
}

// recorder is a testing.TB that records a Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed  string
	skipped string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }
func (r *recorder) Skip(args ...any)             { r.skipped = fmt.Sprint(args...) }

func TestEventually(t *testing.T) {
	tests := []struct {
		name     string
		trueFrom int // the call from which cond holds; 0: never
		failed   string
	}{
		{"at once", 1, ""},
		{"after some calls", 5, ""},
		{"never", 0, "timed out waiting for the thing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			calls := 0
			Eventually(r, "the thing", 200*time.Millisecond, time.Millisecond, func() bool {
				calls++
				return tt.trueFrom > 0 && calls >= tt.trueFrom
			})
			if r.failed != tt.failed {
				t.Errorf("failure %q, want %q", r.failed, tt.failed)
			}
			if tt.trueFrom > 0 && calls != tt.trueFrom {
				t.Errorf("cond called %d times, want %d", calls, tt.trueFrom)
			}
		})
	}
}

func TestSkipEnv(t *testing.T) {
	tests := []struct {
		strict  string
		failed  bool
		skipped bool
	}{
		{"", false, true},
		{"0", false, true},
		{"1", true, false},
	}
	for _, tt := range tests {
		t.Run("IPC_TEST_STRICT="+tt.strict, func(t *testing.T) {
			t.Setenv(StrictEnv, tt.strict)
			r := &recorder{TB: t}
			SkipEnv(r, "needs %s", "root")
			if got := r.failed != ""; got != tt.failed {
				t.Errorf("failed=%v (%q), want %v", got, r.failed, tt.failed)
			}
			if got := r.skipped != ""; got != tt.skipped {
				t.Errorf("skipped=%v (%q), want %v", got, r.skipped, tt.skipped)
			}
			for _, msg := range []string{r.failed, r.skipped} {
				if msg != "" && !strings.Contains(msg, "needs root") {
					t.Errorf("message %q does not give the reason", msg)
				}
			}
		})
	}
}
