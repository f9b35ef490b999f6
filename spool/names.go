package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Names are told apart without regard to case. The first spelling of a
// name to reach the spool (its mailbox directory) is the name; any other
// spelling is the same name and is read as the first. So "Claude" next to
// "claude" is never a second mailbox, on a file system that keeps case
// (Linux) as on one that folds it (macOS, Windows), where two spellings
// could never be two directories anyway; no directory is ever renamed, so
// mail clients that know mail/Claude/ keep finding it.

// Canonical returns the spelling under which name is known: the spelling
// of the existing mailbox that differs from name at most in case, else
// name itself. A spool made before this rule may hold several spellings of
// one name; then only an exact spelling is accepted, and any other is
// refused (ErrBadName) with the spellings there are.
func (s *Spool) Canonical(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	if !s.foldsCase() {
		if _, err := os.Lstat(s.path(dirMail, name)); err == nil {
			return name, nil // the common case: one stat
		}
	}
	names, err := s.Names()
	if err != nil {
		return name, nil // no mail/ to compare with: nobody is known yet
	}
	var same []string
	for _, n := range names {
		if n == name {
			return name, nil
		}
		if strings.EqualFold(n, name) {
			same = append(same, n)
		}
	}
	switch len(same) {
	case 0:
		return name, nil
	case 1:
		return same[0], nil
	}
	return "", fmt.Errorf("%w: %q differs only in case from the names %s; give one of them exactly",
		ErrBadName, name, strings.Join(same, ", "))
}

// foldsCase reports whether the spool's file system ignores the case of
// names (macOS, Windows): there mail/ is also found as MAIL/.
func (s *Spool) foldsCase() bool {
	s.foldOnce.Do(func() {
		a, errA := os.Lstat(s.path(dirMail))
		b, errB := os.Lstat(s.path(strings.ToUpper(dirMail)))
		s.folds = errA == nil && errB == nil && os.SameFile(a, b)
	})
	return s.folds
}

// Forgotten says what Forget did.
type Forgotten struct {
	Name        string `json:"name"`
	Quarantined int    `json:"quarantined"` // messages moved to quarantine/
	Registered  bool   `json:"registered"`  // the name had been claimed at some time
	Forward     string `json:"forward,omitempty"`
}

// Forget removes name's mailbox: a name that was never registered, or one
// whose holder is gone. Every file in it (read, unread, half-written) is
// moved to quarantine/ with the reason first, so nothing is deleted that
// was mail; then the empty directories, its forward and its last-seen
// record go. A name some live process holds is refused (ErrNameTaken).
//
// While it works it holds the name's owner.lock, so nobody claims the name
// meanwhile, and it first renames the mailbox aside in one step: a sender
// that comes after that creates a fresh mailbox, and its mail is kept.
func (s *Spool) Forget(name string) (Forgotten, error) {
	name, err := s.Canonical(name)
	if err != nil {
		return Forgotten{}, err
	}
	mb, _ := s.Mailbox(name)
	f := Forgotten{Name: name, Registered: mb.Registered()}
	lk, taken, err := s.lockOwner(name, Holder{PID: s.pid, Since: s.clock().UTC(), Host: s.host})
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errLockMoved):
		return f, fmt.Errorf("%w: no mailbox %s to forget (see 'ipc list')", ErrNotFound, name)
	case err != nil:
		return f, fmt.Errorf("forget %s: %w", name, err)
	case lk == nil:
		return f, &HeldError{Name: name, Holder: taken}
	}
	defer lk.close()
	if fw, ok := s.Forward(name); ok {
		f.Forward = fw.To
	}
	held, aside, err := s.moveAside(name, lk)
	if err != nil {
		return f, fmt.Errorf("forget %s: %w", name, err)
	}
	defer held.close()
	why := fmt.Sprintf("the mailbox of %s was forgotten (ipc forget)", name)
	if f.Quarantined, err = s.quarantineAll(held, why); err != nil {
		return f, fmt.Errorf("forget %s: %w (what is left is in %s)", name, err, aside)
	}
	_ = s.RemoveForward(name)
	_ = s.fs.Remove(s.path(dirState, "seen", name))
	if err := s.removeEmpty(held, aside); err != nil {
		return f, fmt.Errorf("forget %s: %w", name, err)
	}
	return f, nil
}

// moveAside renames mail/NAME, whose owner.lock lk holds, to a dot name
// in one step (relative to the held mail/), and holds what it moved. A
// link swapped in for mail/NAME at that instant may be what moved: it is
// refused (never followed) and put back, and nothing is forgotten.
func (s *Spool) moveAside(name string, lk *ownerLock) (h *held, aside string, err error) {
	mail, err := s.openDir(s.path(dirMail))
	if err != nil {
		return nil, "", err
	}
	defer mail.close()
	dot := "." + name + ".forget." + newID() // dot: not a name, skipped by listings
	aside = mail.join(dot)
	if err := mail.rename(name, mail, dot); err != nil {
		return nil, "", err
	}
	if err := mail.sync(); err != nil {
		return nil, "", err
	}
	s.synced.Delete(name)
	// The mailbox moved aside is held from here on (dirs.go): a link in
	// it, or one swapped in, is never followed into another's mail.
	h, err = s.holdMaildir(aside)
	if err == nil && (h.box == nil || !isLockIn(lk.f, h.box)) {
		h.close()
		err = fmt.Errorf("%w: mailbox %s: %s is not the mailbox whose lock is held", ErrUnsafe, name, aside)
	}
	if err != nil {
		if perr := mail.renameNoReplace(dot, mail, name); perr != nil {
			return nil, "", fmt.Errorf("%w (what was moved is in %s)", err, aside)
		}
		_ = mail.sync()
		return nil, "", err
	}
	return h, aside, nil
}

// quarantineAll moves every file in the held Maildir h (tmp/, new/, cur/)
// to quarantine/ and returns how many messages (new/ and cur/) it moved.
func (s *Spool) quarantineAll(h *held, why string) (int, error) {
	n := 0
	for _, sub := range []string{"new", "cur", "tmp"} {
		d := h.at(sub)
		if d == nil {
			continue
		}
		names, err := allNames(d)
		if err != nil {
			return n, err
		}
		for _, name := range names {
			if err := s.quarantineIn(d, name, why); err != nil {
				return n, err
			}
			if sub != "tmp" {
				n++
			}
		}
	}
	return n, nil
}

// allNames lists the held d whole, dot files included.
func allNames(d dir) ([]string, error) {
	var names []string
	err := d.names(func(n string) bool { names = append(names, n); return true })
	return names, err
}

// removeEmpty removes a forgotten Maildir whose mail has been moved out:
// its three folders, the owner.lock (held by the caller; nobody can lock
// it by its name any more, the directory having moved) with its holder
// record, the readers.lock (likewise out of reach of new readers) and the
// directory.
// Any other file in it is quarantined, never deleted.
func (s *Spool) removeEmpty(h *held, dir string) error {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := h.box.remove(sub); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for _, lock := range []string{ownerFile, ownerHolder, readersLock} {
		if err := h.box.remove(lock); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	names, err := allNames(h.box)
	if err != nil {
		return err
	}
	for _, n := range names { // anything else put there by hand goes aside too
		if err := s.quarantineIn(h.box, n, "left in a forgotten mailbox"); err != nil {
			return err
		}
	}
	if err := s.fs.Remove(dir); err != nil {
		return err
	}
	return s.fs.SyncDir(filepath.Dir(dir))
}
