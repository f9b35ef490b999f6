package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Fixtures are built fast, as no mail program would: plain writes with no
// fsync, and hard links of one file for the big mailboxes (a link costs a
// directory entry, not a file). They stand for mail that arrived long
// enough ago to be complete.

// linksPerFile stays under ext4's limit of 65,000 links to one inode.
const linksPerFile = 60000

// dropIn is a message as a script delivers it: no Message-ID, so that
// each file's id is its own name. Only the subject says which it is.
func dropIn(to, subject string) []byte {
	return []byte(fmt.Sprintf("From: script@bench\nTo: %s@bench\nSubject: %s\n\nthe build finished, all green\n", to, subject))
}

// maildir makes dir/{tmp,new,cur}.
func maildir(dir string) error {
	for _, d := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// fill puts n messages into dir (a mailbox's new/ or cur/), each a hard
// link to one of a few files holding data, named as ipc names mail, in
// order of age: the i-th is i ms younger than the first, the first
// 2 hours plus n ms old. suffix ends each name (":2,S" for read mail in
// cur/); host, the host part of each name, keeps two fills of one
// mailbox apart. It returns the names in order, without suffix.
func fill(dir string, n int, data []byte, host, suffix string) ([]string, error) {
	srcDir := filepath.Join(filepath.Dir(dir), "tmp")
	base := time.Now().Add(-2*time.Hour - time.Duration(n)*time.Millisecond)
	names := make([]string, n)
	var src string
	for i := range n {
		if i%linksPerFile == 0 {
			src = filepath.Join(srcDir, fmt.Sprintf("fixture-%s-%d", filepath.Base(dir), i))
			if err := os.WriteFile(src, data, 0o600); err != nil {
				return nil, err
			}
			if err := os.Chtimes(src, base, base); err != nil {
				return nil, err
			}
		}
		at := base.Add(time.Duration(i) * time.Millisecond)
		names[i] = mailName(at, i, host, len(data))
		if err := os.Link(src, filepath.Join(dir, names[i]+suffix)); err != nil {
			return nil, err
		}
	}
	return names, removeFixtureSources(srcDir)
}

// removeFixtureSources removes the files fill linked from.
func removeFixtureSources(tmp string) error {
	matches, err := filepath.Glob(filepath.Join(tmp, "fixture-*"))
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			return err
		}
	}
	return err
}

// mailName names the i-th file of a series as ipc names mail: delivered
// at, from host, size bytes long.
func mailName(at time.Time, i int, host string, size int) string {
	return fmt.Sprintf("%d.M%06dP1Q%dR%012x.%s,S=%d", at.Unix(), at.Nanosecond()/1000, i, i, host, size)
}
