package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxMessage is the largest file read as a message; a larger one in new/
// is quarantined (ipc's own large messages keep their body in large/).
const maxMessage = 64 << 20

// CheckOptions choose what Check returns.
type CheckOptions struct {
	Peek  bool // leave unread mail unread
	All   bool // include mail already read (cur/)
	Limit int  // at most this many unread messages, oldest first; 0: all
}

// Check returns the mailbox's unread messages, oldest first, and marks them
// seen by moving them to cur/ — unless opts.Peek. When several readers
// check at once each message goes to exactly one of them: the rename from
// new/ decides. A file that is not a regular file of ours, or whose
// signature does not verify, is quarantined and reported in the error
// (the messages returned are still good).
func (mb *Mailbox) Check(opts CheckOptions) ([]*Message, error) {
	var bad []error
	var out []*Message
	if opts.All {
		seen, err := mb.load("cur", &bad)
		if err != nil {
			return nil, err
		}
		out = append(out, seen...)
	}
	unread, err := mb.load("new", &bad)
	if err != nil {
		return nil, err
	}
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

// load reads every message in sub, oldest first. Unsafe or forged files
// are quarantined and their errors appended to bad.
func (mb *Mailbox) load(sub string, bad *[]error) ([]*Message, error) {
	ents, err := mb.entries(sub)
	if err != nil {
		return nil, err
	}
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
	return out, nil
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
	if why == "" && mb.sp.Config.Secret != "" && !m.Verify(mb.sp.Config.Secret) {
		why = "signature does not verify with IPC_SHARED_SECRET (forged, or sent without the secret)"
	}
	if why != "" {
		if qerr := mb.sp.Quarantine(path, why); qerr != nil {
			return nil, qerr
		}
		return nil, &QuarantineError{Path: path, Why: why}
	}
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

// claim moves m from new/ to cur/ with the seen flag.
func (mb *Mailbox) claim(m *Message) error {
	if filepath.Base(filepath.Dir(m.Path)) != "new" {
		return nil
	}
	key := entry{name: filepath.Base(m.Path)}.key()
	flags := m.Flags.With(FlagSeen)
	dst, err := mb.sp.moveUnique(m.Path, filepath.Join(mb.Dir, "cur"), key, ":2,"+string(flags))
	if err != nil {
		return err
	}
	m.Path, m.Flags = dst, flags
	return nil
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
		return nil // unread: flagging would move it out of sight of check
	}
	e := entry{name: filepath.Base(m.Path)}
	flags := e.flags().With(flag)
	if flags == e.flags() {
		return nil
	}
	dst, err := mb.sp.moveUnique(m.Path, filepath.Join(mb.Dir, "cur"), e.key(), ":2,"+string(flags))
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
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return nil, fmt.Errorf("%w: %q is not a file name in %s's new/", ErrNotFound, name, mb.Name)
	}
	return mb.read(entry{dir: "new", name: name})
}

// Unclaim puts messages claimed by Check back in new/, unread, for a reader
// that could not show them (its output closed): seen means shown.
func (mb *Mailbox) Unclaim(msgs []*Message) error {
	var errs []error
	for _, m := range msgs {
		if filepath.Base(filepath.Dir(m.Path)) != "cur" {
			continue
		}
		e := entry{name: filepath.Base(m.Path)}
		dst, err := mb.sp.moveUnique(m.Path, filepath.Join(mb.Dir, "new"), e.key(), "")
		if err != nil {
			errs = append(errs, fmt.Errorf("unclaim %s: %w", m.ID, err))
			continue
		}
		m.Path, m.Flags = dst, ""
	}
	if err := mb.syncDirs(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
