package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MaxMessage is the one size limit of every message, whichever way it
// comes: the CLI's text and stdin, MCP's content, outbox drop-ins and files
// put in new/. Send refuses a larger body (ErrTooLarge); a larger file is
// quarantined, not read. ipc's own large messages keep their body in
// large/, under the same limit.
const MaxMessage = 64 << 20

const maxMessage = MaxMessage

// CheckOptions choose what Check returns.
type CheckOptions struct {
	Peek  bool // leave unread mail unread
	All   bool // include mail already read (cur/ with the S flag)
	Limit int  // at most this many unread messages, oldest first; 0: all
}

// Check returns the mailbox's unread messages (those without the S flag,
// in new/ or in cur/), oldest first, and marks them seen — unless
// opts.Peek. Marking a message seen moves it to cur/ and adds S to the
// flags it has (":2," becomes ":2,S", ":2,F" becomes ":2,FS"). When
// several readers check at once each message goes to exactly one of them:
// the rename of its file decides. A file that is not a regular file of
// ours, or whose signature does not verify, is quarantined and reported in
// the error (the messages returned are still good).
//
// A reader that cannot give the messages to its user after all (its output
// closed, its client went away) must hand them back with Unclaim.
func (mb *Mailbox) Check(opts CheckOptions) ([]*Message, error) {
	if !opts.Peek {
		ctx, cancel := context.WithTimeout(context.Background(), checkWait)
		unlock, err := mb.lockReading(ctx)
		cancel()
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	var bad []error
	var out []*Message
	if opts.All {
		seen, err := mb.entries("cur")
		if err != nil {
			return nil, err
		}
		seen = slices.DeleteFunc(seen, entry.unread)
		out = mb.load(seen, &bad)
	}
	ents, err := mb.unreadEntries()
	if err != nil {
		return nil, err
	}
	unread := mb.load(ents, &bad)
	if opts.Limit > 0 && len(unread) > opts.Limit {
		unread = unread[:opts.Limit]
	}
	claimed := 0
	for _, m := range unread {
		if opts.Peek {
			out = append(out, m)
			continue
		}
		switch err := mb.claim(m); {
		case err == nil:
			out = append(out, m)
			claimed++
		case errors.Is(err, fs.ErrNotExist): // another reader took it
		default:
			bad = append(bad, err)
		}
	}
	if claimed > 0 {
		// Claims must survive a power cut too, or read mail comes back.
		if err := mb.syncDirs(); err != nil {
			bad = append(bad, err)
		}
	}
	sortByDate(out)
	mb.sp.Touch(mb.Name)
	return out, errors.Join(bad...)
}

// load reads the messages in ents, oldest first. Unsafe or forged files
// are quarantined and their errors appended to bad.
func (mb *Mailbox) load(ents []entry, bad *[]error) []*Message {
	out := make([]*Message, 0, len(ents))
	for _, e := range ents {
		m, err := mb.read(e)
		switch {
		case err == nil:
			out = append(out, m)
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotReady): // claimed meanwhile, or still being written
		default:
			*bad = append(*bad, err)
		}
	}
	sortByDate(out)
	return out
}

// syncDirs fsyncs cur/ then new/ after messages moved between them.
func (mb *Mailbox) syncDirs() error {
	for _, sub := range []string{"cur", "new"} {
		if err := mb.sp.fs.SyncDir(filepath.Join(mb.Dir, sub)); err != nil {
			return fmt.Errorf("sync %s/%s: %w", mb.Name, sub, err)
		}
	}
	return nil
}

func sortByDate(ms []*Message) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].Date.Equal(ms[j].Date) {
			return ms[i].Date.Before(ms[j].Date)
		}
		return ms[i].Path < ms[j].Path
	})
}

// read opens one entry safely: no symlink followed, nothing but a regular
// file owned by us accepted. Anything else is quarantined.
func (mb *Mailbox) read(e entry) (*Message, error) {
	path := filepath.Join(mb.Dir, e.dir, e.name)
	m, why, err := readFile(path, e.key())
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotReady) {
		return nil, err
	}
	if err != nil { // unreadable: move it aside rather than fail every check
		why = err.Error()
	}
	if why == "" && mb.sp.Config.Secret != "" {
		why = mb.distrust(m, e)
	}
	if why != "" {
		if qerr := mb.sp.Quarantine(path, why); qerr != nil {
			return nil, qerr
		}
		return nil, &QuarantineError{Path: path, Why: why}
	}
	mb.sp.settleProvenance(m)
	m.Path, m.Flags = path, e.flags()
	return m, nil
}

// readFile parses the message at path. why is non-empty when the file must
// not be read as mail (a symlink, FIFO, directory, another user's file, a
// file too large).
func readFile(path, key string) (m *Message, why string, err error) {
	f, err := openNoFollow(path)
	if errors.Is(err, syscall.ELOOP) {
		return nil, "a symbolic link, not a message", nil
	}
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	if why := unsafeFile(fi); why != "" {
		return nil, why, nil
	}
	if beingWritten(fi, key) {
		return nil, "", errNotReady
	}
	m, err = ParseMessage(io.LimitReader(f, maxMessage), key, fi.ModTime())
	if err != nil {
		return nil, "", err
	}
	return m, "", nil
}

// errNotReady marks a file in new/ that a careless writer may still be
// writing in place; it is left for a later look.
var errNotReady = errors.New("still being written")

// beingWritten reports whether a file looks unfinished: empty, or shorter
// than the ",S=" size in its name, and modified in the last two seconds.
// Writers that use tmp/ (ipc, safecat, maildrop) never show this.
func beingWritten(fi os.FileInfo, key string) bool {
	if time.Since(fi.ModTime()) > 2*time.Second {
		return false
	}
	if fi.Size() == 0 {
		return true
	}
	if i := strings.LastIndex(key, ",S="); i >= 0 {
		if n, err := strconv.ParseInt(key[i+3:], 10, 64); err == nil && fi.Size() < n {
			return true
		}
	}
	return false
}

// unsafeFile says why fi is not acceptable as mail, or "".
func unsafeFile(fi os.FileInfo) string {
	switch {
	case fi.Mode().Type() == os.ModeNamedPipe:
		return "a FIFO, not a message"
	case fi.IsDir():
		return "a directory, not a message"
	case !fi.Mode().IsRegular():
		return "not a regular file"
	case fi.Size() > maxMessage:
		return fmt.Sprintf("larger than %d MiB", maxMessage>>20)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Sprintf("owned by uid %d, not by this user", st.Uid)
	}
	return ""
}

// claim marks an unread m seen: it renames m's file to cur/KEY:2,FLAGS
// with S added to the flags it had. Of several readers racing for one
// message exactly one renames it; the others get an error matching
// fs.ErrNotExist. m remembers where it was, for Unclaim.
func (mb *Mailbox) claim(m *Message) error {
	e := entryAt(m.Path)
	if !e.unread() {
		return nil
	}
	flags := e.flags().With(FlagSeen)
	dst, err := mb.sp.moveUnique(m.Path, filepath.Join(mb.Dir, "cur"), e.key(), flagInfo(flags))
	if err != nil {
		return err
	}
	m.claimedFrom = m.Path
	m.Path, m.Flags = dst, flags
	return nil
}

// entryAt returns the entry of the file at path (in new/ or cur/).
func entryAt(path string) entry {
	return entry{dir: filepath.Base(filepath.Dir(path)), name: filepath.Base(path)}
}

// moveUnique renames src into dir as key+info without ever replacing a
// file: a script may drop two files of one name into new/ over time, and
// each must survive. On a clash the key gets a fresh suffix.
func (s *Spool) moveUnique(src, dir, key, info string) (string, error) {
	dst := filepath.Join(dir, key+info)
	for i := 0; ; i++ {
		err := s.fs.RenameNoReplace(src, dst)
		if err == nil || !errors.Is(err, fs.ErrExist) || i == 3 {
			return dst, err
		}
		dst = filepath.Join(dir, key+"."+newID()+info)
	}
}

// SetFlag adds flag to a message that has been read (in cur/, where
// Maildir keeps flags). An unread message is left as it is.
func (mb *Mailbox) SetFlag(m *Message, flag rune) error {
	if filepath.Base(filepath.Dir(m.Path)) != "cur" {
		return nil // in new/: Maildir keeps flags only in cur/
	}
	e := entry{name: filepath.Base(m.Path)}
	flags := e.flags().With(flag)
	if flags == e.flags() {
		return nil
	}
	dst, err := mb.sp.moveUnique(m.Path, filepath.Join(mb.Dir, "cur"), e.key(), flagInfo(flags))
	if err != nil {
		return fmt.Errorf("flag %s: %w", m.ID, err)
	}
	m.Path, m.Flags = dst, flags
	return mb.sp.fs.SyncDir(filepath.Join(mb.Dir, "cur"))
}

// Find returns the message with the given id, or with a unique prefix of
// it of at least 4 characters, from new/ or cur/. A name some other program
// gave a file matches whole, however short.
func (mb *Mailbox) Find(id string) (*Message, error) {
	id = strings.Trim(id, "<> ")
	if i := strings.IndexByte(id, '@'); i >= 0 {
		id = id[:i]
	}
	if id == "" {
		return nil, fmt.Errorf("%w: give the id of a message (ipc check shows them)", ErrBadID)
	}
	var exact, prefix []entry
	for _, sub := range []string{"new", "cur"} {
		ents, err := mb.entries(sub)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			k, ours := e.key(), idFromKey(e.key())
			switch {
			case ours == id || k == id:
				exact = append(exact, e)
			case len(id) >= 4 && (strings.HasPrefix(ours, id) || strings.HasPrefix(k, id)):
				prefix = append(prefix, e)
			}
		}
	}
	hits := exact
	if len(hits) == 0 {
		hits = prefix
	}
	switch {
	case len(hits) == 1:
		return mb.read(hits[0])
	case len(hits) > 1:
		return nil, fmt.Errorf("%w: %q matches %d messages; give more of the id", ErrNotFound, id, len(hits))
	case len(id) < 4:
		return nil, fmt.Errorf("%w: %q is too short; give at least 4 characters of the id", ErrBadID, id)
	}
	return nil, fmt.Errorf("%w: no message %q in %s's mailbox", ErrNotFound, id, mb.Name)
}

// ReadNew reads the unread message whose file in new/ has the given name
// (as a watcher reports it) without claiming it, with the checks Check
// makes: a file that is not a regular file of ours, or whose signature does
// not verify, is quarantined and reported as an error. A message read
// meanwhile (moved to cur/) gives an error matching fs.ErrNotExist.
func (mb *Mailbox) ReadNew(name string) (*Message, error) {
	return mb.ReadUnread(mb.NewDir(), name)
}

// ReadUnread reads the unread message whose file is dir/name, where dir is
// the mailbox's NewDir or CurDir (as a watcher of both reports a file
// appearing), without claiming it, with the checks Check makes. A file in
// cur/ that has the S flag is not unread: like a file gone meanwhile it
// gives an error matching fs.ErrNotExist, and so does a dir that is
// neither.
func (mb *Mailbox) ReadUnread(dir, name string) (*Message, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("%w: %q is not a message file in %s's mailbox", ErrNotFound, name, mb.Name)
	}
	var e entry
	switch filepath.Clean(dir) {
	case mb.NewDir():
		e = entry{dir: "new", name: name}
	case mb.CurDir():
		e = entry{dir: "cur", name: name}
	default:
		return nil, &fs.PathError{Op: "read unread", Path: filepath.Join(dir, name), Err: fs.ErrNotExist}
	}
	if !e.unread() {
		return nil, &fs.PathError{Op: "read unread", Path: filepath.Join(dir, name), Err: fs.ErrNotExist}
	}
	return mb.read(e)
}

// Unclaim puts messages claimed by Check back as they were, unread, for a
// reader that could not show them (its output closed): seen means shown.
// A message taken from new/ goes back to new/; one taken from cur/ keeps
// its place and loses the S flag. Messages Check did not claim are left
// alone.
func (mb *Mailbox) Unclaim(msgs []*Message) error {
	var errs []error
	for _, m := range msgs {
		if m.claimedFrom == "" || filepath.Base(filepath.Dir(m.Path)) != "cur" {
			continue
		}
		from := entryAt(m.claimedFrom)
		dir, info := mb.NewDir(), ""
		if from.dir == "cur" {
			dir, info = mb.CurDir(), flagInfo(entryAt(m.Path).flags().Without(FlagSeen))
		}
		dst, err := mb.sp.moveUnique(m.Path, dir, from.key(), info)
		if err != nil {
			errs = append(errs, fmt.Errorf("unclaim %s: %w", m.ID, err))
			continue
		}
		m.Path, m.Flags, m.claimedFrom = dst, entryAt(dst).flags(), ""
	}
	if err := mb.syncDirs(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
