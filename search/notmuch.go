package search

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/spool"
)

// Index is notmuch's index of a spool, kept in state/notmuch/ beside the
// mail. ipc only reads mail through it: the index is configured to tag
// nothing and never to synchronize Maildir flags, so notmuch never renames
// or moves a message file. It is up to date when it was brought up to date
// (Update) after the last change to any mailbox (Spool.Changed); a search
// uses it only then, and scans the spool otherwise.
type Index struct {
	sp  *spool.Spool
	dir string // state/notmuch
	bin string // the notmuch program, "" when not installed
}

// NewIndex returns the notmuch index of sp; nothing is created until
// Update.
func NewIndex(sp *spool.Spool) *Index {
	bin, _ := exec.LookPath("notmuch")
	return &Index{sp: sp, dir: filepath.Join(sp.Root, "state", "notmuch"), bin: bin}
}

// Installed reports whether the notmuch program was found on PATH.
func (ix *Index) Installed() bool { return ix.bin != "" }

func (ix *Index) config() string { return filepath.Join(ix.dir, "config") }
func (ix *Index) stamp() string  { return filepath.Join(ix.dir, "updated") }

// plainList is where the index keeps the files notmuch will not index
// because they have no mail headers (a script's plain text dropped into
// new/): ipc reads them as mail, so searches read them beside the index.
func (ix *Index) plainList() string { return filepath.Join(ix.dir, "plain") }

// Updated returns when the index was last brought up to date (the time
// that update started), zero if never.
func (ix *Index) Updated() time.Time {
	fi, err := os.Stat(ix.stamp())
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// Fresh reports whether the index holds every change to the spool: it was
// last updated after every mailbox last changed.
func (ix *Index) Fresh() bool {
	up := ix.Updated()
	if up.IsZero() {
		return false
	}
	changed, err := ix.sp.Changed()
	return err == nil && changed.Before(up)
}

// Usable reports whether searches may use the index now: notmuch is
// installed and the index is fresh.
func (ix *Index) Usable() bool { return ix.Installed() && ix.Fresh() }

// Update brings the index up to date with `notmuch new`, creating it on
// first use. The time it started is recorded only once it succeeded, so a
// change made during the update leaves the index stale, never wrongly
// fresh.
func (ix *Index) Update(ctx context.Context) error {
	if !ix.Installed() {
		return fmt.Errorf("search: update index: %w", exec.ErrNotFound)
	}
	if err := ix.writeConfig(); err != nil {
		return err
	}
	// Directory times have a coarser clock than time.Now on some file
	// systems; starting a little early errs towards stale.
	start := time.Now().Add(-10 * time.Millisecond)
	notes, err := ix.run(ctx, "new")
	if err != nil && ctx.Err() == nil && ix.dropUnfinished() {
		notes, err = ix.run(ctx, "new") // made again from the mail
	}
	if err != nil {
		return err
	}
	if err := ix.keepPlain(notes); err != nil {
		return err
	}
	if err := os.WriteFile(ix.stamp(), nil, 0o600); err != nil {
		return fmt.Errorf("search: update index: %w", err)
	}
	if err := os.Chtimes(ix.stamp(), start, start); err != nil {
		return fmt.Errorf("search: update index: %w", err)
	}
	return nil
}

// stopGrace is how long notmuch is given to stop once interrupted.
const stopGrace = 5 * time.Second

// dropUnfinished removes the index's Xapian database if its creation
// never finished (a notmuch killed while it made it: the directory is
// there, its revision file is not), which every later notmuch fails to
// open; it reports whether it removed one. The index holds nothing that
// is not in the mail, and only the leader updates it.
func (ix *Index) dropUnfinished() bool {
	xapian := filepath.Join(ix.dir, "db", "xapian")
	if _, err := os.Lstat(xapian); err != nil {
		return false
	}
	if _, err := os.Lstat(filepath.Join(xapian, "iamglass")); !errors.Is(err, os.ErrNotExist) {
		return false
	}
	return os.RemoveAll(xapian) == nil
}

// KeepFresh updates the index whenever the spool has changed, looking
// every interval (one stat per mailbox folder), until ctx is done. Errors
// are given to report and the loop goes on: searches scan meanwhile.
func (ix *Index) KeepFresh(ctx context.Context, interval time.Duration, report func(error)) {
	if !ix.Installed() {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if !ix.Fresh() {
			if err := ix.Update(ctx); err != nil && ctx.Err() == nil && report != nil {
				report(err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// writeConfig writes the index's notmuch configuration: the database in
// state/notmuch/db, the mail in mail/, no tags added, flags never
// synchronized (notmuch must never rename mail), Maildir tmp/ and dot
// files ignored.
func (ix *Index) writeConfig() error {
	db := filepath.Join(ix.dir, "db")
	if err := os.MkdirAll(db, 0o700); err != nil {
		return fmt.Errorf("search: create index: %w", err)
	}
	conf := fmt.Sprintf(`# Written by ipc for its search index; rewritten on every update.
[database]
path=%s
mail_root=%s
[user]
name=ipc
primary_email=ipc@localhost
[new]
tags=
ignore=tmp;/(^|\/)\./
[search]
exclude_tags=
[maildir]
synchronize_flags=false
`, db, ix.sp.MailDir())
	if old, err := os.ReadFile(ix.config()); err == nil && string(old) == conf {
		return nil
	}
	tmp := ix.config() + ".tmp"
	if err := os.WriteFile(tmp, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("search: write index config: %w", err)
	}
	if err := os.Rename(tmp, ix.config()); err != nil {
		return fmt.Errorf("search: write index config: %w", err)
	}
	return nil
}

// run runs notmuch with the index's configuration and returns its
// standard output, or for "new" its notes (standard error).
func (ix *Index) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, ix.bin, append([]string{"--config=" + ix.config()}, args...)...)
	cmd.Env = append(os.Environ(), "NOTMUCH_CONFIG="+ix.config())
	platform.Detach(cmd) // a Ctrl-C of the leading ipc ends notmuch through ctx, quietly
	// Ended through ctx, notmuch is interrupted, not killed: killed while
	// it creates its database it leaves one that no later run can open.
	platform.StopGently(cmd, stopGrace)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		return nil, fmt.Errorf("search: notmuch %s: %w: %s", args[0], err, msg)
	}
	if args[0] == "new" {
		return stderr.Bytes(), nil
	}
	return out, nil
}

// notePlain starts the line notmuch new writes for a file it does not
// index.
const notePlain = "Note: Ignoring non-mail file: "

// keepPlain updates the list of files without headers: those notmuch new
// just noted (it notes only the files of folders that changed) and those
// listed before that still exist.
func (ix *Index) keepPlain(notes []byte) error {
	old, _ := os.ReadFile(ix.plainList())
	seen := map[string]bool{}
	var keep []string
	add := func(path string) {
		if _, err := os.Lstat(path); err == nil && !seen[path] {
			if _, ok := entryOf(ix.sp, path); ok {
				seen[path] = true
				keep = append(keep, path)
			}
		}
	}
	for _, line := range strings.Split(string(old), "\n") {
		add(line)
	}
	for _, line := range strings.Split(string(notes), "\n") {
		if p, ok := strings.CutPrefix(line, notePlain); ok {
			add(p)
		}
	}
	tmp := ix.plainList() + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(keep, "\n")), 0o600); err != nil {
		return fmt.Errorf("search: update index: %w", err)
	}
	if err := os.Rename(tmp, ix.plainList()); err != nil {
		return fmt.Errorf("search: update index: %w", err)
	}
	return nil
}

// plainHits reads the files without headers that match q, newest first.
func (ix *Index) plainHits(sp *spool.Spool, q Query) []Hit {
	b, _ := os.ReadFile(ix.plainList())
	var hits []Hit
	for _, line := range strings.Split(string(b), "\n") {
		if e, ok := entryOf(sp, line); ok && q.matchEntry(e) {
			if h, ok := check(sp, q, e); ok {
				hits = append(hits, h)
			}
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int { return b.Message.Date.Compare(a.Message.Date) })
	return hits
}

// errNoTerms says a query has nothing notmuch can narrow it by.
var errNoTerms = errors.New("nothing for the index to narrow")

// notmuchQuery translates the parts of q that notmuch can narrow by into
// its syntax. The result proposes a superset of q's hits: words as prefixes
// (only words of letters and digits, as notmuch splits the rest into terms
// of its own), senders as address words, a thread as notmuch threads it
// (by References and In-Reply-To, which holds every answer), dates a day
// wider.
func notmuchQuery(q Query, host string) (string, error) {
	var terms []string
	if q.Thread != "" && !strings.ContainsAny(q.Thread, "{}\"' ") {
		id := q.Thread
		if !strings.Contains(id, "@") {
			id += "@" + host // ours: <id@host>
		}
		terms = append(terms, "thread:{id:"+id+"}")
	}
	for _, w := range q.Words {
		for _, part := range strings.Fields(w) {
			if isAlnum(part) {
				terms = append(terms, part+"*")
			}
		}
	}
	if len(q.From) > 0 {
		var from []string
		for _, f := range q.From {
			from = append(from, "from:"+f)
		}
		terms = append(terms, "("+strings.Join(from, " OR ")+")")
	}
	if len(terms) == 0 {
		return "", errNoTerms
	}
	if !q.After.IsZero() || !q.Before.IsZero() {
		lo, hi := "", ""
		if !q.After.IsZero() {
			lo = "@" + strconv.FormatInt(q.After.Add(-dateSlack).Unix(), 10)
		}
		if !q.Before.IsZero() {
			hi = "@" + strconv.FormatInt(q.Before.Add(dateSlack).Unix(), 10)
		}
		terms = append(terms, "date:"+lo+".."+hi)
	}
	return strings.Join(terms, " AND "), nil
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// search answers q from the index: it asks notmuch for candidate files
// newest first, in growing batches, and checks each against its file as
// the scan does.
func (ix *Index) search(ctx context.Context, sp *spool.Spool, q Query, opts Options) (Result, error) {
	nq, err := notmuchQuery(q, sp.Host())
	if err != nil {
		return Result{}, err
	}
	c := &collector{opts: opts}
	plain := ix.plainHits(sp, q)
	// add takes a hit from the index after the plain files sent later.
	add := func(h Hit) bool {
		for len(plain) > 0 && plain[0].Message.Date.After(h.Message.Date) {
			if c.add(plain[0]) {
				return true
			}
			plain = plain[1:]
		}
		return c.add(h)
	}
	batch := 2*(opts.Offset+opts.Limit) + 16
	for offset := 0; !c.full(); {
		out, err := ix.run(ctx, "search", "--output=files", "--sort=newest-first",
			"--offset="+strconv.Itoa(offset), "--limit="+strconv.Itoa(batch), "--", nq)
		if err != nil {
			return Result{}, err
		}
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			n++
			e, ok := entryOf(sp, sc.Text())
			if !ok || !q.matchEntry(e) {
				continue
			}
			if h, ok := check(sp, q, e); ok && add(h) {
				break
			}
		}
		if n < batch {
			break
		}
		offset += batch
		batch *= 2
	}
	for _, h := range plain {
		if c.full() || c.add(h) {
			break
		}
	}
	return c.result(EngineNotmuch), nil
}

// entryOf turns a path notmuch gives into the entry of a mailbox, refusing
// anything outside mail/NAME/{new,cur}/.
func entryOf(sp *spool.Spool, path string) (spool.Entry, bool) {
	rel, err := filepath.Rel(sp.MailDir(), path)
	if err != nil {
		return spool.Entry{}, false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) != 3 || spool.ValidName(parts[0]) != nil || (parts[1] != "new" && parts[1] != "cur") {
		return spool.Entry{}, false
	}
	return spool.Entry{Mailbox: parts[0], Dir: parts[1], Name: parts[2]}, true
}
