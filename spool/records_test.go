package spool

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"
)

func TestRecords(t *testing.T) {
	s := openTest(t)
	for _, kind := range []string{"", ".hidden", "a/b", `a\b`, "a:b"} {
		if _, err := s.Records(kind); !errors.Is(err, ErrBadRecord) {
			t.Errorf("kind %q: %v, want ErrBadRecord", kind, err)
		}
	}
	r, err := s.Records("notes")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read("x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read before any write: %v", err)
	}
	if err := r.Write("../x", []byte("1")); !errors.Is(err, ErrBadRecord) {
		t.Errorf("write ../x: %v", err)
	}
	if err := r.Write("x", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if b, err := r.Read("x"); err != nil || string(b) != "one" {
		t.Errorf("read = %q, %v", b, err)
	}
	if fi, err := os.Stat(r.Path("x")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode: %v, %v", fi, err)
	}
	// A symbolic link put in a record's place is not followed.
	if err := os.WriteFile(r.Path("target"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(r.Path("target"), r.Path("link")); err != nil {
		t.Fatal(err)
	}
	if b, err := r.Read("link"); err == nil {
		t.Errorf("a symbolic link was followed: %q", b)
	}
}

func TestRecordsLockAndForget(t *testing.T) {
	s := openTest(t)
	r, _ := s.Records("notes")
	unlock, err := r.Lock("x.lock")
	if err != nil {
		t.Fatal(err)
	}
	unlock() // that locks serialise is held by awareness.TestSurfaceSerialises
	if err := r.Write("old", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := r.Write("new", []byte("2")); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	for _, f := range []string{"old", "x.lock"} {
		if err := os.Chtimes(r.Path(f), past, past); err != nil {
			t.Fatal(err)
		}
	}
	n, err := r.Forget(time.Now().Add(-time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("forget: %d, %v; want 1", n, err)
	}
	for f, want := range map[string]bool{"old": false, "new": true, "x.lock": true} {
		if _, err := os.Stat(r.Path(f)); (err == nil) != want {
			t.Errorf("%s kept = %v, want %v", f, err == nil, want)
		}
	}
}
