package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Forward is a renamed name's pointer to its new name, kept in forwards/OLD.
type Forward struct {
	From  string    `json:"-"`
	To    string    `json:"to"`
	Until time.Time `json:"until"`
}

// maxHops bounds forward chains (a renamed b, b renamed c, ...).
const maxHops = 8

// Forward returns the forward recorded for name, if any, expired or not.
func (s *Spool) Forward(name string) (Forward, bool) {
	if ValidName(name) != nil {
		return Forward{}, false
	}
	b, err := readNoFollow(s.path(dirForwards, name))
	if err != nil {
		return Forward{}, false
	}
	var f Forward
	if json.Unmarshal(b, &f) != nil || ValidName(f.To) != nil {
		return Forward{}, false
	}
	f.From = name
	return f, true
}

// Resolve follows name's live forwards and returns the mailbox mail for it
// belongs in now.
func (s *Spool) Resolve(name string) string {
	if c, err := s.Canonical(name); err == nil {
		name = c
	}
	now := s.clock()
	for i := 0; i < maxHops; i++ {
		f, ok := s.Forward(name)
		if !ok || !now.Before(f.Until) || f.To == name {
			return name
		}
		name = f.To
	}
	return name
}

// Forwards returns every forward file, expired ones included.
func (s *Spool) Forwards() ([]Forward, error) {
	ents, err := os.ReadDir(s.path(dirForwards))
	if err != nil {
		return nil, fmt.Errorf("spool: list forwards: %w", err)
	}
	var out []Forward
	for _, e := range ents {
		if f, ok := s.Forward(e.Name()); ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// setForward records that mail for from goes to to until the given time.
func (s *Spool) setForward(from, to string, until time.Time) error {
	b, _ := json.Marshal(Forward{To: to, Until: until.UTC()})
	if err := s.writeFileAtomic(s.path(dirForwards, from), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record forward %s → %s: %w", from, to, err)
	}
	return nil
}

// RemoveForward deletes the forward of name (the name is in use again, or
// its forward expired).
func (s *Spool) RemoveForward(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	err := s.fs.Remove(s.path(dirForwards, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove forward %s: %w", name, err)
	}
	return nil
}
