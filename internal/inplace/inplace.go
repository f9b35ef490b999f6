// Package inplace owns the one rule for "is this file still being
// written": a file a careless writer (a script's `echo >`, an editor)
// writes where it is to be read — in a mailbox's new/ or in outbox/new/ —
// instead of renaming it in from tmp/. The watcher, the readers of new/
// and the leader's outbox routing all ask Check, so a file is never shown
// or routed half-written by one and held back by another.
//
// The rule, in order:
//
//  1. Where the system can tell whether another process has the file open
//     for writing (a read lease on Linux, a share mode on Windows:
//     platform.OpenForWriting), a file open for writing is being written.
//  2. An empty file, or one shorter than the ",S=<size>" its Maildir name
//     announces, is being written until it has been left alone for Quiet.
//  3. Where the system cannot tell (macOS, the BSDs, NFS, another user's
//     file), a file modified within the last Quiet is being written.
//  4. Anything else is complete.
//
// Quiet is the one threshold. A writer that pauses longer than Quiet
// between two writes is only caught where rule 1 applies.
package inplace

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// Quiet is how long a file must have been left alone to count as complete
// where the system cannot say whether it is still open for writing.
const Quiet = time.Second

// State is what Check says of a file.
type State int

const (
	Complete State = iota // no longer being written
	Writing               // still being written: look again later
	Gone                  // not there, or not a regular file
)

func (s State) String() string {
	switch s {
	case Complete:
		return "complete"
	case Writing:
		return "being written"
	default:
		return "gone"
	}
}

// Check opens path (without following a symlink) and applies the rule.
func Check(path string, now time.Time) State {
	f, err := platform.OpenNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return Gone
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return Gone
	}
	return CheckFile(f, fi, now)
}

// OpenForWriting reports whether the system can tell that another process
// has the file at path open for writing, and it has (rule 1 alone). It is
// for a file that every other sign says is complete, such as one the
// watcher took for renamed in: false where the system cannot tell.
func OpenForWriting(path string) bool {
	f, err := platform.OpenNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	open, known := platform.OpenForWriting(f)
	return open && known
}

// CheckFile applies the rule to the open file f, whose Stat is fi.
func CheckFile(f *os.File, fi os.FileInfo, now time.Time) State {
	open, known := platform.OpenForWriting(f)
	quiet := now.Sub(fi.ModTime()) >= Quiet
	switch {
	case known && open:
		return Writing
	case short(fi) && !quiet:
		return Writing
	case known || quiet:
		return Complete
	}
	return Writing
}

// short reports whether fi's file is empty or shorter than the size its
// Maildir name announces.
func short(fi os.FileInfo) bool {
	if fi.Size() == 0 {
		return true
	}
	name := fi.Name()
	if i := strings.LastIndex(name, ",S="); i >= 0 {
		end := i + 3
		for end < len(name) && name[end] >= '0' && name[end] <= '9' {
			end++
		}
		if n, err := strconv.ParseInt(name[i+3:end], 10, 64); err == nil && fi.Size() < n {
			return true
		}
	}
	return false
}
