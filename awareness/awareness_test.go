package awareness

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// clock is a settable clock for the spool.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func open(t *testing.T) (*spool.Spool, *Awareness, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return sp, New(sp), clk
}

func TestAutoCheckStartStop(t *testing.T) {
	_, a, clk := open(t)
	ac, err := a.AutoCheck("bob")
	if err != nil || ac.Enabled || ac.IntervalMinutes != DefaultAutoCheckMinutes {
		t.Fatalf("fresh state = %+v, %v", ac, err)
	}
	for _, tc := range []struct {
		minutes int
		want    int
		err     error
	}{
		{0, 5, nil}, {1, 1, nil}, {60, 60, nil}, {61, 0, ErrBadInterval}, {-1, 0, ErrBadInterval}, {7, 7, nil},
	} {
		ac, err := a.StartAutoCheck("bob", tc.minutes)
		if !errors.Is(err, tc.err) {
			t.Fatalf("start %d: %v, want %v", tc.minutes, err, tc.err)
		}
		if err == nil && (!ac.Enabled || ac.IntervalMinutes != tc.want) {
			t.Errorf("start %d: %+v", tc.minutes, ac)
		}
	}
	if ac, _ := a.AutoCheck("bob"); !ac.Enabled || ac.IntervalMinutes != 7 {
		t.Errorf("after a refused start the state changed: %+v", ac)
	}
	if err := a.RecordCheck("bob"); err != nil {
		t.Fatal(err)
	}
	blocked := clk.Now().Add(time.Second)
	if err := a.RecordBlock("bob", blocked); err != nil {
		t.Fatal(err)
	}
	ac, err = a.StopAutoCheck("bob")
	if err != nil || ac.Enabled || ac.IntervalMinutes != 7 {
		t.Fatalf("stop: %+v, %v", ac, err)
	}
	ac, _ = a.AutoCheck("bob")
	if !ac.LastCheck.Equal(clk.Now()) || !ac.LastBlock.Equal(blocked) || ac.Enabled {
		t.Errorf("state = %+v", ac)
	}
	if _, err := a.StartAutoCheck("no way", 5); !errors.Is(err, spool.ErrBadName) {
		t.Errorf("bad name: %v", err)
	}
}

func TestAutoCheckLastCheckFollowsReads(t *testing.T) {
	sp, a, clk := open(t)
	if _, err := sp.Send(spool.Draft{From: "a", To: []string{"bob"}, Body: "x"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	mb, err := sp.Mailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Check(spool.CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if ac, _ := a.AutoCheck("bob"); !ac.LastCheck.Equal(clk.Now()) {
		t.Errorf("last check %v, want the read at %v", ac.LastCheck, clk.Now())
	}
}

func TestAutoCheckDamagedStateStartsAfresh(t *testing.T) {
	_, a, _ := open(t)
	if err := os.MkdirAll(filepath.Dir(a.autocheck.Path("bob.json")), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.autocheck.Path("bob.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AutoCheck("bob"); err == nil {
		t.Error("damaged state read without error")
	}
	if ac, err := a.StartAutoCheck("bob", 3); err != nil || !ac.Enabled || ac.IntervalMinutes != 3 {
		t.Errorf("start over damaged state: %+v, %v", ac, err)
	}
}

// TestSurface: the mark advances only when tell told of something newer,
// is kept per session, and an error from tell records nothing.
func TestSurface(t *testing.T) {
	_, a, clk := open(t)
	t1 := clk.Now()
	t2 := t1.Add(time.Minute)
	steps := []struct {
		session  string
		tell     time.Time
		err      error
		wantSeen time.Time // the mark tell is given
		wantMark time.Time // Told afterwards
	}{
		{"s1", t1, nil, time.Time{}, t1},
		{"s1", t1, nil, t1, t1},                        // nothing newer: unchanged
		{"s1", t2, errors.New("write failed"), t1, t1}, // failed: unchanged
		{"s1", time.Time{}, nil, t1, t1},               // told nothing
		{"s1", t2, nil, t1, t2},                        // newer: advanced
		{"s2", t1, nil, time.Time{}, t1},               // another session: its own mark
	}
	for i, st := range steps {
		var seen time.Time
		err := a.Surface("bob", st.session, func(mark time.Time) (time.Time, error) {
			seen = mark
			return st.tell, st.err
		})
		if !errors.Is(err, st.err) {
			t.Fatalf("step %d: %v, want %v", i, err, st.err)
		}
		if !seen.Equal(st.wantSeen) {
			t.Errorf("step %d: tell got mark %v, want %v", i, seen, st.wantSeen)
		}
		if got := a.Told("bob", st.session); !got.Equal(st.wantMark) {
			t.Errorf("step %d: mark %v, want %v", i, got, st.wantMark)
		}
	}
	if err := a.Surface("../x", "s1", nil); !errors.Is(err, spool.ErrBadName) {
		t.Errorf("bad name: %v", err)
	}
}

// TestSurfaceSerialises: processes telling one session at once never both
// tell of the same mark: each tell sees the mark the previous one left.
func TestSurfaceSerialises(t *testing.T) {
	_, a, clk := open(t)
	base := clk.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	told := map[time.Time]int{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := a.Surface("bob", "s1", func(mark time.Time) (time.Time, error) {
				mu.Lock()
				told[mark]++
				mu.Unlock()
				if mark.IsZero() {
					return base, nil
				}
				return mark.Add(time.Second), nil
			})
			if err != nil {
				t.Errorf("surface %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	for mark, n := range told {
		if n != 1 {
			t.Errorf("%d tells were given mark %v", n, mark)
		}
	}
	if got, want := a.Told("bob", "s1"), base.Add(19*time.Second); !got.Equal(want) {
		t.Errorf("final mark %v, want %v", got, want)
	}
}

func TestWaker(t *testing.T) {
	_, a, _ := open(t)
	if pid := a.Waker("bob", "s1"); pid != 0 {
		t.Fatalf("no waker yet: %d", pid)
	}
	if err := a.SetWaker("bob", "s1", 4242); err != nil {
		t.Fatal(err)
	}
	if err := a.SetWaker("bob", "s2", 7); err != nil {
		t.Fatal(err)
	}
	if pid := a.Waker("bob", "s1"); pid != 4242 {
		t.Errorf("waker of s1 = %d", pid)
	}
	if err := a.SetWaker("bob", "s1", 0); err != nil {
		t.Fatal(err)
	}
	if pid, other := a.Waker("bob", "s1"), a.Waker("bob", "s2"); pid != 0 || other != 7 {
		t.Errorf("after retiring s1: s1 %d, s2 %d", pid, other)
	}
}

// TestForget: marks and wakers older than a week go, newer ones and the
// lock files stay.
func TestForget(t *testing.T) {
	_, a, clk := open(t)
	if err := a.Surface("old", "s", func(time.Time) (time.Time, error) { return clk.Now(), nil }); err != nil {
		t.Fatal(err)
	}
	if err := a.SetWaker("old", "s", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.StartAutoCheck("old", 5); err != nil {
		t.Fatal(err)
	}
	week := clk.Now().Add(-markMaxAge - time.Hour)
	for _, p := range []string{a.told.Path(sessionFile("old", "s")), a.wakers.Path(sessionFile("old", "s")), a.autocheck.Path("old.surface.lock")} {
		if err := os.Chtimes(p, week, week); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetWaker("new", "s", 2); err != nil {
		t.Fatal(err)
	}
	n, err := a.Forget()
	if err != nil || n != 2 {
		t.Fatalf("forget: %d, %v; want 2 removed", n, err)
	}
	if !a.Told("old", "s").IsZero() || a.Waker("old", "s") != 0 || a.Waker("new", "s") != 2 {
		t.Errorf("after forget: told %v, old waker %d, new waker %d", a.Told("old", "s"), a.Waker("old", "s"), a.Waker("new", "s"))
	}
	if _, err := os.Stat(a.autocheck.Path("old.surface.lock")); err != nil {
		t.Errorf("a lock file went: %v", err)
	}
	if ac, _ := a.AutoCheck("old"); !ac.Enabled {
		t.Error("auto-check state forgotten")
	}
}

// syncFS counts the fsyncs made through it.
type syncFS struct {
	spool.FS
	mu    sync.Mutex
	syncs int
}

type syncFile struct {
	spool.File
	fs *syncFS
}

func (f syncFile) Sync() error { f.fs.count(); return f.File.Sync() }

func (s *syncFS) count() { s.mu.Lock(); s.syncs++; s.mu.Unlock() }
func (s *syncFS) n() int { s.mu.Lock(); defer s.mu.Unlock(); return s.syncs }

func (s *syncFS) Create(name string, perm os.FileMode) (spool.File, error) {
	f, err := s.FS.Create(name, perm)
	if err != nil {
		return nil, err
	}
	return syncFile{f, s}, nil
}

func (s *syncFS) SyncDir(dir string) error { s.count(); return s.FS.SyncDir(dir) }

// TestToldMarkNotFsynced: telling a session of new mail, as a hook does on
// every prompt while mail waits, and recording a waker wait on no fsync.
func TestToldMarkNotFsynced(t *testing.T) {
	fsys := &syncFS{FS: spool.OS}
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithFS(fsys))
	if err != nil {
		t.Fatal(err)
	}
	a := New(sp)
	now := time.Now()
	for i := range 3 { // the first also makes state/hook/ (its entry fsynced once)
		if err := a.Surface("bob", "s1", func(time.Time) (time.Time, error) { return now.Add(time.Duration(i) * time.Second), nil }); err != nil {
			t.Fatal(err)
		}
		if err := a.SetWaker("bob", "s1", 100+i); err != nil {
			t.Fatal(err)
		}
	}
	before := fsys.n()
	if err := a.Surface("bob", "s1", func(time.Time) (time.Time, error) { return now.Add(time.Hour), nil }); err != nil {
		t.Fatal(err)
	}
	if err := a.SetWaker("bob", "s1", 7); err != nil {
		t.Fatal(err)
	}
	if n := fsys.n() - before; n != 0 {
		t.Errorf("a told mark and a waker cost %d fsyncs, want 0", n)
	}
	if !a.Told("bob", "s1").Equal(now.Add(time.Hour)) || a.Waker("bob", "s1") != 7 {
		t.Errorf("records not written: %v %d", a.Told("bob", "s1"), a.Waker("bob", "s1"))
	}
}
