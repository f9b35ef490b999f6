package spool

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// What one agent session has been told about a name's mail, shared by
// every front end that tells it (the hooks, the waking hook, the MCP
// server's pushes), so that a message is announced to a session once,
// whichever path carried it.
//
// The record is a high-water mark: the arrival time of the newest message
// the session was told of; every unread message that arrived by then has
// been told. It lives in state/hook/NAME.DIGEST (DIGEST from the session
// key), changed only under state/autocheck/NAME.surface.lock (never
// deleted), so two processes telling the same session cannot both tell it
// of the same message.

// Surface runs tell under the lock of the record of what session has been
// told about name's mail. tell gets the mark (zero when nothing was told)
// and returns the arrival time of the newest message it told of; a time
// after the mark is recorded before Surface returns. An error from tell is
// returned and nothing is recorded.
func (s *Spool) Surface(name, session string, tell func(mark time.Time) (time.Time, error)) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := s.mkdir(s.path(dirState, "autocheck")); err != nil {
		return fmt.Errorf("surface mail of %s: %w", name, err)
	}
	lk, err := openLock(s.autoCheckPath(name, ".surface.lock"))
	if err != nil {
		return fmt.Errorf("surface mail of %s: %w", name, err)
	}
	defer lk.close()
	if err := lk.lock(); err != nil {
		return fmt.Errorf("surface mail of %s: %w", name, err)
	}
	mark := s.Announced(name, session)
	newest, err := tell(mark)
	if err != nil || !newest.After(mark) {
		return err
	}
	return s.RecordAnnounced(name, session, newest)
}

// wakerPath names the record of the process waiting to wake session when
// name's mail arrives: state/wake/NAME.DIGEST, holding its pid.
func (s *Spool) wakerPath(name, session string) string {
	return s.path(dirState, "wake", filepath.Base(s.announcePath(name, session)))
}

// SetWaker records pid as the one process waiting to wake session for
// name's mail, replacing any earlier one (which sees it with Waker and
// gives up).
func (s *Spool) SetWaker(name, session string, pid int) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := s.mkdir(s.path(dirState, "wake")); err != nil {
		return fmt.Errorf("record waker of %s: %w", name, err)
	}
	if err := s.writeFileAtomic(s.wakerPath(name, session), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		return fmt.Errorf("record waker of %s: %w", name, err)
	}
	return nil
}

// Waker returns the pid recorded by SetWaker for session and name, or 0.
func (s *Spool) Waker(name, session string) int {
	if ValidName(name) != nil {
		return 0
	}
	b, err := readNoFollow(s.wakerPath(name, session))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
