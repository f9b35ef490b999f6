package awareness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// markMaxAge is how long a told mark or a waker record is kept.
const markMaxAge = 7 * 24 * time.Hour

// sessionFile names the records of one session's view of name's mail:
// NAME.DIGEST, DIGEST from the session key (Claude Code's session id).
func sessionFile(name, session string) string {
	sum := sha256.Sum256([]byte(session))
	return name + "." + hex.EncodeToString(sum[:8])
}

// Surface runs tell under the lock of the record of what session has been
// told about name's mail. tell gets the mark (zero when nothing was told)
// and returns the arrival time of the newest message it told of; a time
// after the mark is recorded before Surface returns. An error from tell is
// returned and nothing is recorded.
func (a *Awareness) Surface(name, session string, tell func(mark time.Time) (time.Time, error)) error {
	if err := spool.ValidName(name); err != nil {
		return err
	}
	unlock, err := a.autocheck.Lock(name + ".surface.lock")
	if err != nil {
		return fmt.Errorf("surface mail of %s: %w", name, err)
	}
	defer unlock()
	mark := a.Told(name, session)
	newest, err := tell(mark)
	if err != nil || !newest.After(mark) {
		return err
	}
	// The time is the content; the file's mtime says when it was written,
	// which is what Forget ages marks by. Not fsynced: a power cut that
	// loses the mark costs one notice told again, and a hook must not wait
	// on the disk on every prompt.
	b := []byte(newest.UTC().Format(time.RFC3339Nano) + "\n")
	if err := a.told.Note(sessionFile(name, session), b); err != nil {
		return fmt.Errorf("record what %s's session was told: %w", name, err)
	}
	return nil
}

// Told returns the arrival time of the newest message of name's that
// session has been told of; zero if none.
func (a *Awareness) Told(name, session string) time.Time {
	if spool.ValidName(name) != nil {
		return time.Time{}
	}
	b, err := a.told.Read(sessionFile(name, session))
	if err != nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	return t
}

// SetWaker records pid as the one process waiting to wake session for
// name's mail, replacing any earlier one (which sees it with Waker and
// gives up).
func (a *Awareness) SetWaker(name, session string, pid int) error {
	if err := spool.ValidName(name); err != nil {
		return err
	}
	// Not fsynced: after a power cut the waker it names is gone anyway.
	if err := a.wakers.Note(sessionFile(name, session), []byte(strconv.Itoa(pid)+"\n")); err != nil {
		return fmt.Errorf("record waker of %s: %w", name, err)
	}
	return nil
}

// Waker returns the pid recorded by SetWaker for session and name, or 0.
func (a *Awareness) Waker(name, session string) int {
	if spool.ValidName(name) != nil {
		return 0
	}
	b, err := a.wakers.Read(sessionFile(name, session))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Forget removes told marks and waker records older than a week, and
// returns how many it removed.
func (a *Awareness) Forget() (int, error) {
	cutoff := a.sp.Now().Add(-markMaxAge)
	n, err := a.told.Forget(cutoff)
	m, err2 := a.wakers.Forget(cutoff)
	if err == nil {
		err = err2
	}
	return n + m, err
}
