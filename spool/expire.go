package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// Expiry, one of the leader's jobs: mail for a name that never registered
// goes to quarantine/ after Config.OrphanAfter, never deleted.

// deliveredAt returns when the file at path arrived: the time in its
// Maildir name when that is plausible, else its modification time.
func (s *Spool) deliveredAt(path, key string) time.Time {
	if t, ok := timeFromKey(key); ok && t.Unix() > 1e9 && t.Before(s.clock().Add(24*time.Hour)) {
		return t
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return s.clock()
	}
	return fi.ModTime()
}

// arrivedAt is deliveredAt made safe for expiry: no earlier than the file's
// inode change time, which the rename or link into new/ set. A name's time
// and an mtime say when a message was written, which may be long before a
// script moved it in; expiring it at once would be wrong.
func (s *Spool) arrivedAt(path, key string) time.Time {
	t := s.deliveredAt(path, key)
	if fi, err := os.Lstat(path); err == nil {
		if ct := platform.ChangeTime(fi); ct.After(t) {
			return ct
		}
	}
	return t
}

// ExpireOrphans quarantines unread mail that has waited longer than
// Config.OrphanAfter for a name that has never been registered. It returns
// how many messages it moved.
func (s *Spool) ExpireOrphans() (int, error) {
	if s.Config.OrphanAfter <= 0 {
		return 0, nil
	}
	names, err := s.Names()
	if err != nil {
		return 0, err
	}
	cutoff := s.clock().Add(-s.Config.OrphanAfter)
	n := 0
	var errs []error
	for _, name := range names {
		mb, _ := s.Mailbox(name)
		if mb.Registered() {
			continue
		}
		k, err := s.expireIn(mb, cutoff)
		n += k
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// expireIn quarantines the unread mail in mb's new/ that arrived before
// cutoff, moving it relative to the held new/.
func (s *Spool) expireIn(mb *Mailbox, cutoff time.Time) (n int, err error) {
	mb, release, err := mb.hold()
	if err != nil {
		return 0, err
	}
	defer release()
	ents, err := mb.entries("new")
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, e := range ents {
		path := filepath.Join(mb.NewDir(), e.name)
		at := s.arrivedAt(path, e.key())
		if !at.Before(cutoff) {
			continue
		}
		why := fmt.Sprintf("expired: %s never registered within %s of delivery (delivered %s)",
			mb.Name, s.Config.OrphanAfter, at.UTC().Format(time.RFC3339))
		switch err := s.quarantineIn(mb.sub("new"), e.name, why); {
		case err == nil:
			n++
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}
