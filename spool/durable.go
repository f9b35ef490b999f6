package spool

// A mailbox's directories must be durable before the first message
// delivered into them is acknowledged: the entry of mail/NAME in mail/,
// and those of tmp/, new/ and cur/ in mail/NAME. A process that made or
// found a mailbox fsyncs both directories once; every later process used
// to do the same, two fsyncs of its per-message cost for nothing.
//
// The durable record, state/durable/NAME, lets a later process know
// instead. It is written only after both fsyncs returned, and it names
// what they made durable: the inode numbers of mail/NAME and of its tmp/,
// new/ and cur/, and the modification time of mail/NAME, all taken before
// the fsyncs began. A process that finds the same five values now knows
// that these very directories were on disk before the record existed:
//
//   - the same inode of mail/NAME is the same directory, still under that
//     name in mail/ (a mailbox removed and made again is another inode, or
//     at least another modification time);
//   - tmp/, new/ or cur/ removed and made again would have changed
//     mail/NAME's modification time (an entry came and went) even where
//     the new directory got the old inode number back;
//   - the record is not fsynced: a power cut may lose it (the next process
//     fsyncs again) or leave a part of it, which does not parse.
//
// Anything else (no record, another value, a system whose stat has no
// inode number) means fsync as before. The power-loss simulation
// (powerloss_test.go) checks this through the file seam: its strict crash
// models keep a directory only if its own entry was made durable, and its
// workloads reopen the spool as a fresh process would and deliver into
// mailboxes made by hand.

// held.record (dirs.go) reads the five values from the held directories.

// durablePath is where the durable record of the mailbox name is kept.
func (s *Spool) durablePath(name string) string { return s.path(dirState, "durable", name) }

// knownDurable reports whether the durable record of mb says what
// record (lookDirs' answer now) says: its directories are on disk.
func (s *Spool) knownDurable(mb *Mailbox, record string) bool {
	if record == "" {
		return false
	}
	b, err := readNoFollow(s.durablePath(mb.Name))
	return err == nil && string(b) == record
}

// recordDurable writes the durable record of mb, once its directories
// have been fsynced. It is advisory: not fsynced, and a failure to write
// it only means the next process fsyncs again.
func (s *Spool) recordDurable(mb *Mailbox, record string) {
	if record == "" {
		return
	}
	dir := s.path(dirState, "durable")
	if s.mkdir(dir) != nil {
		return
	}
	_ = s.writeAdvisory(s.durablePath(mb.Name), []byte(record))
}
