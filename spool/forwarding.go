package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// Moving mail along forwards, one of the leader's jobs: mail that lands in a
// renamed name's new/ goes on to the new name's, by rename, never copied.

// ForwardsDir returns forwards/, where renamed names point to their new ones.
func (s *Spool) ForwardsDir() string { return s.path(dirForwards) }

// ApplyForwards moves mail that landed in a renamed name's new/ into the
// new name's, following chains, and removes forwards whose time is up
// (moving first what was delivered while they were live). It returns how
// many messages it moved.
func (s *Spool) ApplyForwards() (moved int, err error) {
	fws, err := s.Forwards()
	if err != nil {
		return 0, err
	}
	now := s.clock()
	var errs []error
	for _, f := range fws {
		live := now.Before(f.Until)
		var before time.Time // only mail delivered before this moves; zero: all
		dst := s.Resolve(f.From)
		if !live {
			before, dst = f.Until, s.Resolve(f.To)
		}
		n, err := s.drainForward(f.From, dst, before)
		moved += n
		if err == nil && !live {
			err = s.RemoveForward(f.From)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return moved, errors.Join(errs...)
}

// drainForward renames every message in from's new/ into to's new/,
// keeping its name; with before set, only those delivered earlier.
func (s *Spool) drainForward(from, to string, before time.Time) (int, error) {
	if from == to {
		return 0, nil
	}
	src, err := s.Mailbox(from)
	if err != nil {
		return 0, err
	}
	src, releaseSrc, err := src.hold()
	if err != nil {
		return 0, err
	}
	defer releaseSrc()
	ents, err := src.entries("new")
	if err != nil || len(ents) == 0 {
		return 0, err
	}
	dst, releaseDst, _, err := s.ensureHeld(to)
	if err != nil {
		return 0, err
	}
	defer releaseDst()
	room, err := dst.room()
	if err != nil {
		return 0, err
	}
	n := 0
	var deferred error
	for _, e := range ents {
		path := filepath.Join(src.NewDir(), e.name)
		if !before.IsZero() && !s.deliveredAt(path, e.key()).Before(before) {
			continue
		}
		if room == 0 { // the rest waits in from's mailbox until to has read some
			deferred = &LimitError{Err: ErrQuota, Who: dst.Name, Limit: s.Config.MaxUnread}
			break
		}
		room--
		_, err := moveUnique(src.sub("new"), e.name, dst.sub("new"), e.key(), e.info())
		if errors.Is(err, fs.ErrNotExist) && src.gone(e) {
			continue // read or moved meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("forward %s to %s: %w", from, to, err)
		}
		n++
	}
	if n > 0 {
		if err := dst.sub("new").sync(); err != nil {
			return n, fmt.Errorf("forward %s to %s: fsync new/: %w", from, to, err)
		}
	}
	if deferred != nil {
		return n, fmt.Errorf("forward %s to %s: %w", from, to, deferred)
	}
	return n, nil
}
