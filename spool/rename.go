package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Rename moves the name held by o to newName: newName is claimed, a
// forward from the old name is recorded for Config.ForwardFor, every
// message moves into the new mailbox (each by one atomic rename, so a crash
// midway loses nothing; the leader moves stragglers along the forward),
// the old claim is released, and every other mailbox is told. A name may
// be renamed once per Config.RenameEvery.
func (s *Spool) Rename(o *Owner, newName string) (*Owner, error) {
	old := o.Name
	newName, err := s.Canonical(newName)
	if err != nil {
		return nil, err
	}
	if newName == old {
		return nil, fmt.Errorf("rename %s: the new name is the same as the old", old)
	}
	if last, what := s.lastRename(old); !last.IsZero() {
		if wait := last.Add(s.Config.RenameEvery).Sub(s.clock()); wait > 0 {
			return nil, fmt.Errorf("%w: %s (%s ago); a name may be renamed once every %s; rename again in %s",
				ErrTooSoon, what, minutes(s.clock().Sub(last)), minutes(s.Config.RenameEvery), minutes(wait))
		}
	}
	if mb, _ := s.Mailbox(newName); mb.Registered() {
		return nil, fmt.Errorf("%w: %s is an existing name with its own mail; choose a new name (or register %s)",
			ErrNameTaken, newName, newName)
	}
	no, err := s.Claim(newName)
	if err != nil {
		return nil, err
	}
	if err := s.moveAll(old, newName); err != nil {
		s.undoRename(old, newName)
		no.Release()
		return nil, fmt.Errorf("rename %s to %s: %w (mail moved so far is in %s's mailbox)", old, newName, err, newName)
	}
	if err := s.recordRename(old, newName); err != nil {
		s.undoRename(old, newName)
		no.Release()
		return nil, err
	}
	o.Release()
	// A sender that resolved the old name just before the forward was
	// written may have delivered after the first move: move again.
	from, _ := s.Mailbox(old)
	to, _ := s.Mailbox(newName)
	_, _ = from.MoveTo(to)
	s.announceRename(old, newName)
	return no, nil
}

// undoRename withdraws the forward of a rename that failed, so new mail
// goes on reaching the name its owner still holds. Messages already moved
// stay in newName's mailbox (a move back could not tell them from mail
// newName had before): nothing is lost, and the error names the mailbox.
func (s *Spool) undoRename(old, newName string) {
	_ = s.RemoveForward(old)
}

// moveAll records the forward, then moves every message of old into new.
func (s *Spool) moveAll(old, newName string) error {
	if err := s.setForward(old, newName, s.clock().Add(s.Config.ForwardFor)); err != nil {
		return err
	}
	from, _ := s.Mailbox(old)
	to, _ := s.Mailbox(newName)
	_, err := from.MoveTo(to)
	return err
}

// MoveTo moves every message in mb's new/ and cur/ to the same folder of
// dst, keeping names and flags, and returns how many it moved.
func (mb *Mailbox) MoveTo(dst *Mailbox) (int, error) {
	dst, releaseDst, err := dst.hold()
	if err != nil {
		return 0, err
	}
	defer releaseDst()
	mb, release, err := mb.hold()
	if err != nil {
		return 0, err
	}
	defer release()
	room, err := dst.room()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sub := range []string{"new", "cur"} {
		ents, err := mb.entries(sub)
		if err != nil {
			return n, err
		}
		if len(ents) == 0 {
			continue
		}
		to := dst.sub(sub)
		if to == nil {
			return n, fmt.Errorf("move %s to %s: %w", mb.Name, dst.Name, errMissing(dst, sub))
		}
		for _, e := range ents {
			if e.unread() {
				if room == 0 {
					continue // dst is at its unread limit: left here, forwarded once it reads
				}
				room--
			}
			_, err := moveUnique(mb.sub(sub), e.name, to, e.key(), e.info())
			if errors.Is(err, fs.ErrNotExist) && mb.gone(e) {
				continue // read meanwhile
			}
			if err != nil {
				return n, fmt.Errorf("move %s to %s: %w", mb.Name, dst.Name, err)
			}
			n++
		}
		if err := dst.syncSub(sub); err != nil {
			return n, err
		}
	}
	return n, nil
}

// announceRename tells every mailbox but the two names involved. The rename
// has happened whatever becomes of the notices.
func (s *Spool) announceRename(old, newName string) {
	names, err := s.Names()
	if err != nil {
		return
	}
	var to []string
	for _, n := range names {
		if n != old && n != newName && s.Resolve(n) == n {
			to = append(to, n)
		}
	}
	if len(to) == 0 {
		return
	}
	m, _, err := s.compose(Draft{From: newName, To: to, Body: fmt.Sprintf("📝 %s renamed to %s", old, newName),
		Data: []byte(fmt.Sprintf(`{"type":"rename","old":%q,"new":%q}`, old, newName))})
	if err != nil {
		return
	}
	m.Provenance = ProvSession // from the process that now holds newName
	if rc, data, err := s.prepare(m, nil); err == nil {
		_, _ = s.deliverAll(m, rc, data)
	}
}

func (s *Spool) renamePath(name string) string { return s.path(dirState, "renamed", name) }

// lastRename returns when name last took part in a rename (from or to it)
// and what that rename was.
func (s *Spool) lastRename(name string) (time.Time, string) {
	p := s.renamePath(name)
	fi, err := os.Lstat(p)
	if err != nil {
		return time.Time{}, ""
	}
	what, _ := readNoFollow(p)
	first, _, _ := strings.Cut(string(what), "\n") // a signature may follow
	return fi.ModTime(), strings.TrimSpace(first)
}

// recordRename notes the rename under both names: neither may take part in
// another within Config.RenameEvery.
func (s *Spool) recordRename(old, newName string) error {
	if err := s.mkdir(s.path(dirState, "renamed")); err != nil {
		return err
	}
	what := s.renameRecord(old, newName)
	now := s.clock()
	for _, n := range []string{old, newName} {
		p := s.renamePath(n)
		if err := s.writeFileAtomic(p, what, 0o600); err != nil {
			return fmt.Errorf("record rename: %w", err)
		}
		if err := os.Chtimes(p, now, now); err != nil {
			return fmt.Errorf("record rename: %w", err)
		}
	}
	return nil
}

// minutes says a duration in whole minutes, at least one: "1 min", "60 min".
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%d min", max(m, 1))
}
