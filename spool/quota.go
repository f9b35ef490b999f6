package spool

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The unread quota is checked at every delivery, and counting a mailbox's
// unread mail means listing it: a new/ of a million listed for each send.
// So each mailbox has a bound instead, state/quota/NAME: a number at least
// as large as its unread mail, which every delivery through ipc raises by
// one under the lock state/quota/NAME.lock before it delivers. Only when
// the bound reaches the limit, or was last made true more than quotaVerify
// ago, is the mailbox listed and the bound set to what it holds (reading
// lowers it that way: readers need not know of it, and mutt does not).
//
// What stays true, for senders in any number of processes:
//   - A refusal always follows a listing: nothing is refused on the bound.
//   - The bound is raised before the message is delivered: a sender that
//     dies in between leaves it one too high (a listing sooner), never too
//     low.
//   - Unread mail that came by other means (a script's mv into new/, a
//     person clearing S, a forward moved in) is counted at the next
//     listing, at most quotaVerify later.
//   - The file is advisory and not fsynced: lost, cut short or from the
//     future after a power cut, it reads as unknown and the mailbox is
//     listed.
//   - What is over the limit is deferred by the callers (drop-ins wait in
//     the outbox, forwards in the old mailbox), never dropped.

// quotaVerify is how long a bound is trusted before the mailbox is listed
// again, so that mail arriving by other means is counted.
const quotaVerify = 10 * time.Second

// quotaBound is the content of state/quota/NAME.
type quotaBound struct {
	n        int64 // at least the mailbox's unread mail
	verified int64 // when it was last the count of a listing (unix ns)
}

// checkQuota refuses a message for a mailbox whose unread mail is at its
// limit, and otherwise counts the message into the mailbox's bound: call
// it right before delivering one message.
func (mb *Mailbox) checkQuota() error {
	limit := mb.sp.Config.MaxUnread
	if limit <= 0 {
		return nil
	}
	s := mb.sp
	dir := s.path(dirState, "quota")
	if err := s.mkdir(dir); err != nil {
		return fmt.Errorf("quota of %s: %w", mb.Name, err)
	}
	lk, err := s.openLock(filepath.Join(dir, mb.Name+".lock"))
	if err != nil {
		return fmt.Errorf("quota of %s: %w", mb.Name, err)
	}
	defer lk.close()
	if err := lk.lock(); err != nil {
		return fmt.Errorf("quota of %s: %w", mb.Name, err)
	}
	f, err := s.fs.OpenFile(filepath.Join(dir, mb.Name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("quota of %s: %w", mb.Name, err)
	}
	defer f.Close()
	now := s.clock().UnixNano()
	b, ok := readBound(f)
	if !ok || b.n+1 > int64(limit) || now-b.verified > int64(quotaVerify) || b.verified > now {
		n, err := mb.Unread()
		if err != nil {
			return err
		}
		b = quotaBound{n: int64(n), verified: now}
	}
	if b.n >= int64(limit) {
		_ = writeBound(f, b) // the listing stands for the next sender
		return &LimitError{Err: ErrQuota, Who: mb.Name, Limit: limit}
	}
	b.n++
	return writeBound(f, b)
}

// forgetQuota makes the next delivery list the mailbox: mail was moved in
// without raising its bound (forwards, renames).
func (mb *Mailbox) forgetQuota() {
	_ = mb.sp.fs.Remove(mb.sp.path(dirState, "quota", mb.Name))
}

func readBound(f *os.File) (quotaBound, bool) {
	var buf [16]byte
	if n, _ := f.ReadAt(buf[:], 0); n != len(buf) {
		return quotaBound{}, false
	}
	return quotaBound{n: int64(binary.LittleEndian.Uint64(buf[:8])), verified: int64(binary.LittleEndian.Uint64(buf[8:]))}, true
}

func writeBound(f *os.File, b quotaBound) error {
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(b.n))
	binary.LittleEndian.PutUint64(buf[8:], uint64(b.verified))
	if _, err := f.WriteAt(buf[:], 0); err != nil {
		return fmt.Errorf("quota: %w", err)
	}
	return nil
}
