package platform

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLockThroughHeldDir: a lock file opened in a held directory is
// locked through its descriptor, a second open of it is refused the lock
// until the first is closed, and SetModTime sets the file's time through
// the descriptor.
func TestLockThroughHeldDir(t *testing.T) {
	d, err := OpenDir(tempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, err := d.Open("owner.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if ok, err := TryLock(a); !ok || err != nil {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	b, err := d.Open("owner.lock", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := TryLock(b); ok || err != nil {
		t.Errorf("second lock while held: %v %v, want refused", ok, err)
	}
	b.Close()
	when := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := SetModTime(a, when); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(d.Path(), "owner.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(when) {
		t.Errorf("mtime %v, want %v", fi.ModTime(), when)
	}
	a.Close()
	c, err := d.Open("owner.lock", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, err := TryLock(c); !ok || err != nil {
		t.Errorf("lock after the holder closed: %v %v", ok, err)
	}
}
