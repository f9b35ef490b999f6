package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ValidName reports whether name may be used as an agent name, with an error
// that says what is allowed.
func ValidName(name string) error {
	if !IsToken(name, 32) {
		return fmt.Errorf("%w %q: use 1 to 32 letters, digits, '-' or '_'", ErrBadName, name)
	}
	return nil
}

// IsToken reports whether s is 1 to max ASCII letters, digits, '-' or
// '_', the characters of names and ids. (A regular expression would do,
// compiled at init: every ipc process would pay for it.)
func IsToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Flags are a message's Maildir flags, kept as the letters after ":2,".
type Flags string

// The Maildir flags ipc uses.
const (
	FlagFlagged = 'F'
	FlagReplied = 'R'
	FlagSeen    = 'S'
	FlagTrashed = 'T'
)

// Has reports whether f contains flag.
func (f Flags) Has(flag rune) bool { return strings.ContainsRune(string(f), flag) }

// With returns f with flag added, letters in ASCII order as Maildir requires.
func (f Flags) With(flag rune) Flags {
	if f.Has(flag) {
		return f
	}
	b := []byte(string(f) + string(flag))
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	return Flags(b)
}

// Without returns f with flag removed.
func (f Flags) Without(flag rune) Flags {
	return Flags(strings.ReplaceAll(string(f), string(flag), ""))
}

// Unread reports whether a message with these flags is unread: it has no
// S (seen) flag. Where the file is (new/ or cur/) does not matter.
func (f Flags) Unread() bool { return !f.Has(FlagSeen) }

// Mailbox is the Maildir of one name: mail/NAME/{tmp,new,cur}.
type Mailbox struct {
	Name string
	Dir  string
	sp   *Spool
	held *held // its directories, while an operation holds them (dirs.go)
}

// Mailbox returns the mailbox of name without creating it. A name that
// differs only in case from a known one is that one (see Canonical).
func (s *Spool) Mailbox(name string) (*Mailbox, error) {
	name, err := s.Canonical(name)
	if err != nil {
		return nil, err
	}
	return &Mailbox{Name: name, Dir: s.path(dirMail, name), sp: s}, nil
}

// ensureMailbox returns the mailbox of name, creating it if it is missing.
// created reports that this call made it. Before the first delivery through
// this process the mailbox's entries are fsynced, whoever made them: a
// directory that exists is not yet a directory that survives a power cut.
// A process that finds them recorded durable since skips that (see
// durable.go).
func (s *Spool) ensureMailbox(name string) (mb *Mailbox, created bool, err error) {
	held, release, created, err := s.ensureHeld(name)
	if err != nil {
		return nil, false, err
	}
	release()
	mb = held
	mb.held = nil
	return mb, created, nil
}

// ensureHeld is ensureMailbox, returning the mailbox with its
// directories held for a delivery, and the function that lets them go.
func (s *Spool) ensureHeld(name string) (mb *Mailbox, release func(), created bool, err error) {
	plain, err := s.Mailbox(name)
	if err != nil {
		return nil, nil, false, err
	}
	mb, release, err = plain.hold() // each time: a link may be put in later
	if err != nil {
		return nil, nil, false, err
	}
	letGo := release // an error return sets release to nil: the defer keeps its own
	defer func() {
		if err != nil {
			letGo()
		}
	}()
	if _, ok := s.synced.Load(name); ok && mb.held.complete() {
		return mb, release, false, nil
	}
	record, err := mb.held.record()
	if err != nil {
		return nil, nil, false, err
	}
	if s.knownDurable(mb, record) {
		s.synced.Store(name, true)
		return mb, release, false, nil
	}
	changed := false
	if created, changed, err = s.makeDurable(mb); err != nil {
		return nil, nil, false, err
	}
	if changed { // made or repaired: hold what is there now
		letGo()
		letGo = func() {}
		if mb, release, err = plain.hold(); err != nil {
			return nil, nil, false, err
		}
		letGo = release
		if record, err = mb.held.record(); err != nil {
			return nil, nil, false, err
		}
	}
	// The record is taken before the fsyncs: whatever changes after them
	// is not vouched for.
	if err := mb.held.box.sync(); err != nil {
		return nil, nil, false, fmt.Errorf("open mailbox %s: %w", mb.Name, err)
	}
	if err := mb.held.parent.sync(); err != nil {
		return nil, nil, false, fmt.Errorf("open mailbox %s: %w", mb.Name, err)
	}
	if !mb.held.complete() { // removed again meanwhile
		return nil, nil, false, fmt.Errorf("open mailbox %s: %w", mb.Name, errMissing(mb, "new"))
	}
	s.recordDurable(mb, record)
	s.synced.Store(name, true)
	return mb, release, created, nil
}

// makeDurable creates or repairs the held mb's directories; changed says
// it made or found some, and the caller then holds them again. The
// caller fsyncs them.
func (s *Spool) makeDurable(mb *Mailbox) (created, changed bool, err error) {
	h := mb.held
	if h.parent == nil {
		return false, false, fmt.Errorf("open mailbox %s: %w", mb.Name, errMissing(mb, ".."))
	}
	if h.box == nil {
		if created, err = s.createMailbox(h.parent, mb.Name); err != nil {
			return false, false, fmt.Errorf("create mailbox %s: %w", mb.Name, err)
		}
		return created, true, nil
	}
	for i, sub := range subNames { // repair a mailbox made by hand
		if h.subs[i] != nil {
			continue
		}
		changed = true
		if err := h.box.mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return false, false, fmt.Errorf("open mailbox %s: %w", mb.Name, err)
		}
	}
	return false, changed, nil
}

// createMailbox builds the Maildir under a dot name in mail/ and renames
// it into place, so no one ever sees a mailbox without its tmp/, new/ and
// cur/. Losing the race to another creator is not an error.
func (s *Spool) createMailbox(mail dir, name string) (bool, error) {
	tmp := ".new-" + name + "-" + newID()
	if err := mail.mkdir(tmp, 0o700); err != nil {
		return false, err
	}
	half, err := mail.sub(tmp)
	if err != nil {
		return false, err
	}
	defer half.close()
	for _, sub := range subNames {
		if err := half.mkdir(sub, 0o700); err != nil {
			s.removeHalfBuilt(mail, tmp, half)
			return false, err
		}
	}
	if err := half.sync(); err != nil {
		s.removeHalfBuilt(mail, tmp, half)
		return false, err
	}
	// rename(2) onto an existing mailbox fails (it is not empty) or
	// replaces an empty directory: either way nothing is lost.
	if err := mail.rename(tmp, mail, name); err != nil {
		s.removeHalfBuilt(mail, tmp, half)
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Exists reports whether the mailbox has been created. A mailbox that
// cannot be looked at counts as absent here; callers that must tell the
// two apart use Stat.
func (mb *Mailbox) Exists() bool {
	ok, err := mb.Stat()
	return ok && err == nil
}

// Stat reports whether the mailbox has been created: false and nil when it
// does not exist, and an error (EACCES, a file where the directory should
// be) when it cannot be told, which is never the same as absent.
func (mb *Mailbox) Stat() (bool, error) {
	fi, err := os.Stat(filepath.Join(mb.Dir, "new"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("mailbox %s: %w", mb.Name, err)
	case !fi.IsDir():
		return false, fmt.Errorf("%w: mailbox %s: new/ is not a directory", ErrUnavailable, mb.Name)
	}
	return true, nil
}

// Names returns every mailbox name in the spool, sorted.
func (s *Spool) Names() ([]string, error) {
	ents, err := os.ReadDir(s.path(dirMail))
	if err != nil {
		return nil, fmt.Errorf("spool: list names: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && ValidName(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// uniqueName returns a Maildir unique name for a message with the given id:
// secs.M<usec>P<pid>Q<n>R<id>.host. The ",S=<size>" part is added on delivery.
func (s *Spool) uniqueName(id string) string {
	now := s.clock()
	return fmt.Sprintf("%d.M%06dP%dQ%dR%s.%s", now.Unix(), now.Nanosecond()/1000,
		s.pid, s.seq.Add(1), id, s.host)
}

// entry is a file in new/ or cur/.
type entry struct {
	dir  string // "new" or "cur"
	name string // file name, with any ":2,FLAGS" (or "!2,FLAGS") suffix
}

// path returns the entry's path in mb.
func (mb *Mailbox) path(e entry) string { return filepath.Join(mb.Dir, e.dir, e.name) }

// key returns the unique part of an entry's name, without info.
func (e entry) key() string {
	if i := infoIndex(e.name); i >= 0 {
		return e.name[:i]
	}
	return e.name
}

// infoIndex returns where the info (":2,FLAGS", or "!2,FLAGS" as on
// Windows, where ':' is illegal in names) begins in a file name, or -1.
// Both are read on every system: a spool may have been copied across.
func infoIndex(name string) int {
	i := strings.Index(name, ":2,")
	if j := strings.Index(name, "!2,"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	return i
}

// info returns the ":2,FLAGS" part of the entry's name, or "".
func (e entry) info() string { return e.name[len(e.key()):] }

// flags returns the flags in the entry's info.
func (e entry) flags() Flags {
	if i := infoIndex(e.name); i >= 0 {
		return Flags(e.name[i+3:])
	}
	return ""
}

// unread reports whether the entry is unread mail: anything in new/, and
// a file in cur/ without the S flag (mail clients move what they have
// listed to cur/ without marking it seen).
func (e entry) unread() bool { return e.dir == "new" || e.flags().Unread() }

// flagInfo returns the info part of a file name in cur/ for flags:
// ":2,FLAGS", or "!2,FLAGS" on Windows (infoSep).
func flagInfo(f Flags) string { return infoSep + "2," + string(f) }

// idFromKey returns the message id in one of our unique names ("R<id>."),
// or "" for a name some other program chose.
func idFromKey(key string) string {
	i := strings.Index(key, "R")
	for i >= 0 {
		rest := key[i+1:]
		if len(rest) > 13 && rest[12] == '.' && isHex(rest[:12]) {
			return rest[:12]
		}
		j := strings.Index(rest, "R")
		if j < 0 {
			break
		}
		i += j + 1
	}
	return ""
}

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// timeFromKey reads the delivery time in a Maildir unique name
// ("secs.M<usec>..."); ok is false for names in another form.
func timeFromKey(key string) (t time.Time, ok bool) {
	dot := strings.IndexByte(key, '.')
	if dot <= 0 {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(key[:dot], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var usec int64
	if rest := key[dot+1:]; strings.HasPrefix(rest, "M") {
		end := 1
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		usec, _ = strconv.ParseInt(rest[1:end], 10, 64)
	}
	return time.Unix(secs, usec*1000), true
}

// entries lists the files in sub ("new" or "cur"), skipping dot files.
func (mb *Mailbox) entries(sub string) ([]entry, error) {
	var out []entry
	err := mb.eachName(sub, func(n string) { out = append(out, entry{dir: sub, name: n}) })
	return out, err
}

// Unread returns how many unread messages the mailbox holds: those in
// new/ and those in cur/ without the S flag. It counts names as it lists
// them, holding none: a million cost a listing, not a million strings.
func (mb *Mailbox) Unread() (int, error) {
	_, n, err := mb.oldestEntries(0, nil)
	return n, err
}

// NewDir returns the mailbox's new/ folder, where unread mail arrives.
func (mb *Mailbox) NewDir() string { return filepath.Join(mb.Dir, "new") }

// CurDir returns the mailbox's cur/ directory, where read mail is kept and
// where mail clients move what they have listed (still unread without the
// S flag). A follower of unread mail watches it beside NewDir.
func (mb *Mailbox) CurDir() string { return filepath.Join(mb.Dir, "cur") }

// EnsureMailbox returns the mailbox of name, creating it (without claiming
// the name) if it does not exist yet.
func (s *Spool) EnsureMailbox(name string) (*Mailbox, error) {
	mb, _, err := s.ensureMailbox(name)
	return mb, err
}

// unreadEntries lists the unread files, new/ first then cur/. new/ is
// listed first so that a file a mail client moves from new/ to cur/
// meanwhile is seen at least once (twice is folded by key).
func (mb *Mailbox) unreadEntries() ([]entry, error) {
	fresh, err := mb.entries("new")
	if err != nil {
		return nil, err
	}
	listed, err := mb.unseenInCur()
	if err != nil {
		return nil, err
	}
	return foldKeys(fresh, listed), nil
}

// foldKeys appends to a the entries of b whose key is not in a.
func foldKeys(a, b []entry) []entry {
	if len(b) == 0 {
		return a
	}
	keys := make(map[string]bool, len(a))
	for _, e := range a {
		keys[e.key()] = true
	}
	for _, e := range b {
		if !keys[e.key()] {
			a = append(a, e)
		}
	}
	return a
}

// removeHalfBuilt removes a mailbox createMailbox could not put in place:
// its empty tmp/, new/ and cur/, then itself, through the FS. Nothing was
// ever delivered into it. What is left (a crash, a failure) is a dot name,
// which no listing shows.
func (s *Spool) removeHalfBuilt(mail dir, name string, half dir) {
	for _, sub := range subNames {
		_ = half.remove(sub)
	}
	_ = mail.remove(name)
}
