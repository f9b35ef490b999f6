package spool

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// takeRate records one message from sender and refuses it when the sender
// has already sent RatePerMinute messages in the last minute. The record is
// state/rate/SENDER, a file of timestamps read and rewritten only under
// the lock state/rate/SENDER.lock, so senders in many processes count right.
func (s *Spool) takeRate(sender string) error {
	limit := s.Config.RatePerMinute
	if limit <= 0 || sender == "" {
		return nil
	}
	dir := s.path(dirState, "rate")
	if err := s.mkdir(dir); err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	lk, err := s.openLock(filepath.Join(dir, sender+".lock"))
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	defer lk.close()
	if err := lk.lock(); err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	f, err := s.fs.OpenFile(filepath.Join(dir, sender), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	defer f.Close()
	stamps := readStamps(f)
	now := s.clock()
	recent := stamps[:0]
	for _, t := range stamps {
		if now.Sub(t) < time.Minute && !t.After(now) {
			recent = append(recent, t)
		}
	}
	if len(recent) >= limit {
		retry := recent[len(recent)-limit].Add(time.Minute).Sub(now)
		return &LimitError{Err: ErrRateLimited, Who: sender, Limit: limit, RetryAfter: max(retry, time.Second)}
	}
	return writeStamps(f, append(recent, now))
}

// readStamps reads the little-endian nanosecond timestamps in f.
func readStamps(f *os.File) []time.Time {
	b, _ := io.ReadAll(f)
	out := make([]time.Time, 0, len(b)/8+1)
	for i := 0; i+8 <= len(b); i += 8 {
		out = append(out, time.Unix(0, int64(binary.LittleEndian.Uint64(b[i:]))))
	}
	return out
}

// writeStamps replaces f's content by stamps. The file is advisory state,
// not mail, so it is not fsynced.
func writeStamps(f *os.File, stamps []time.Time) error {
	b := make([]byte, 8*len(stamps))
	for i, t := range stamps {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(t.UnixNano()))
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	return f.Truncate(int64(len(b)))
}
