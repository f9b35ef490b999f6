package spool

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// madeFS records every path the spool makes through its FS.
type madeFS struct {
	FS
	mu   sync.Mutex
	made map[string]bool
}

func (m *madeFS) add(p string) {
	m.mu.Lock()
	m.made[filepath.Clean(p)] = true
	m.mu.Unlock()
}

func (m *madeFS) Create(name string, perm os.FileMode) (File, error) {
	f, err := m.FS.Create(name, perm)
	if err == nil {
		m.add(name)
	}
	return f, err
}

func (m *madeFS) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := m.FS.OpenFile(name, flag, perm)
	if err == nil {
		m.add(name)
	}
	return f, err
}

func (m *madeFS) Mkdir(name string, perm os.FileMode) error {
	err := m.FS.Mkdir(name, perm)
	if err == nil {
		m.add(name)
	}
	return err
}

func (m *madeFS) moved(o, n string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, n = filepath.Clean(o), filepath.Clean(n)
	m.made[n] = true
	for p := range m.made { // a directory moved: what was made in it moves too
		if strings.HasPrefix(p, o+string(filepath.Separator)) {
			m.made[n+p[len(o):]] = true
		}
	}
}

func (m *madeFS) Rename(o, n string) error {
	err := m.FS.Rename(o, n)
	if err == nil {
		m.moved(o, n)
	}
	return err
}

func (m *madeFS) RenameNoReplace(o, n string) error {
	err := m.FS.RenameNoReplace(o, n)
	if err == nil {
		m.moved(o, n)
	}
	return err
}

func (m *madeFS) Link(o, n string) error {
	err := m.FS.Link(o, n)
	if err == nil {
		m.add(n)
	}
	return err
}

// TestEveryWriteThroughTheSeam: after registering, sending (rate limited,
// large and small), a rename with its forward, reading, and leading, every
// file and directory in the spool (and the spool's missing parents) was
// made through the FS, so fault injection and the power-loss simulation see
// all of it: lock files, holder records, the rate file, records of state.
func TestEveryWriteThroughTheSeam(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "a", "b", "spool")
	m := &madeFS{FS: OS, made: map[string]bool{}}
	cfg := DefaultConfig()
	cfg.RatePerMinute = 100
	s, err := Open(root, WithConfig(cfg), WithFS(m))
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Claim("alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"hi", strings.Repeat("large ", 4000)} {
		if _, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	bob, err := s.Claim("bob")
	if err != nil {
		t.Fatal(err)
	}
	robert, err := s.Rename(bob, "robert")
	if err != nil {
		t.Fatal(err)
	}
	defer robert.Release()
	mb, err := s.Mailbox("robert")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Check(CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	l, ok, err := s.TryLead()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := s.ApplyForwards(); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Records("notes"); err != nil || r.Write("x", []byte("1")) != nil {
		t.Fatal(err)
	}
	l.Release()
	o.Release()
	var behind []string
	err = filepath.WalkDir(filepath.Join(base, "a"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !m.made[filepath.Clean(p)] {
			behind = append(behind, strings.TrimPrefix(p, base))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(behind) > 0 {
		t.Errorf("made behind the FS's back: %v", behind)
	}
}
