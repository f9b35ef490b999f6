package spool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/claude-ipc/ipc/internal/inplace"
	"github.com/claude-ipc/ipc/internal/platform"
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
	mb, release, err := mb.hold() // one listing and batch of claims, one set of held directories
	if err != nil {
		return nil, err
	}
	defer release()
	if !opts.Peek {
		unlock, err := mb.lockReadingWait()
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
		mb.readInOrder(seen, &bad, func(m *Message) bool { out = append(out, m); return true })
	}
	claimed, taken := 0, 0
	err = mb.eachOldest(opts.Limit, &bad, func(m *Message) bool {
		if opts.Peek {
			out = append(out, m)
			taken++
			return opts.Limit <= 0 || taken < opts.Limit
		}
		switch err := mb.claim(m); {
		case err == nil:
			out = append(out, m)
			claimed++
			taken++
		case errors.Is(err, fs.ErrNotExist): // another reader took it
		default:
			bad = append(bad, err)
		}
		return opts.Limit <= 0 || taken < opts.Limit
	})
	if err != nil {
		if claimed == 0 {
			return nil, err
		}
		// A limited check lists again when it passed messages over; what
		// it claimed before that listing failed is marked read, so it is
		// returned with the error, never dropped.
		bad = append(bad, err)
	}
	if claimed > 0 {
		// Claims must survive a power cut too, or read mail comes back.
		if err := mb.syncDirs(); err != nil {
			bad = append(bad, err)
		}
	}
	sortByArrival(out)
	mb.sp.Touch(mb.Name)
	return out, errors.Join(bad...)
}

// syncDirs fsyncs cur/ then new/ after messages moved between them.
func (mb *Mailbox) syncDirs() error {
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	for _, sub := range []string{"cur", "new"} {
		if err := mb.syncSub(sub); err != nil {
			return err
		}
	}
	return nil
}

// syncSub fsyncs the held mb's sub ("new" or "cur").
func (mb *Mailbox) syncSub(sub string) error {
	d := mb.sub(sub)
	if d == nil {
		return fmt.Errorf("sync %s/%s: %w", mb.Name, sub, errMissing(mb, sub))
	}
	if err := d.sync(); err != nil {
		return fmt.Errorf("sync %s/%s: %w", mb.Name, sub, err)
	}
	return nil
}

// read opens one entry safely: no symlink followed, nothing but a regular
// file owned by us accepted. Anything else is quarantined.
func (mb *Mailbox) read(e entry) (*Message, error) { return mb.readIf(e, nil) }

// readIf is read, but a file whose bytes keep refuses is not parsed: it
// gives errSkipped (nil keep takes every file).
func (mb *Mailbox) readIf(e entry, keep func(raw []byte) bool) (*Message, error) {
	mb, release, err := mb.hold()
	if err != nil {
		return nil, err
	}
	defer release()
	path := mb.path(e)
	d := mb.sub(e.dir)
	if d == nil {
		return nil, errMissing(mb, e.dir)
	}
	m, why, err := readFile(d, e.name, e.key(), keep)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotReady) || errors.Is(err, errSkipped) {
		return nil, err
	}
	if err != nil { // unreadable: move it aside rather than fail every check
		why = err.Error()
	}
	if why == "" && mb.sp.Config.Secret != "" {
		why = mb.distrust(m, e)
	}
	if why != "" {
		if qerr := mb.sp.quarantineIn(d, e.name, why); qerr != nil {
			return nil, qerr
		}
		return nil, &QuarantineError{Path: path, Why: why}
	}
	mb.sp.settleProvenance(m)
	m.Path, m.Flags = path, e.flags()
	return m, nil
}

// readFile parses the message name in d. why is non-empty when the file
// must not be read as mail (a symlink, FIFO, directory, another user's
// file, a file too large).
func readFile(d dir, name, key string, keep func(raw []byte) bool) (m *Message, why string, err error) {
	f, err := d.open(name)
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
	if inplace.CheckFile(f, fi, time.Now()) == inplace.Writing {
		return nil, "", errNotReady
	}
	var r io.Reader = io.LimitReader(f, maxMessage)
	if keep != nil {
		raw, err := io.ReadAll(r)
		if err != nil {
			return nil, "", err
		}
		if !keep(raw) {
			return nil, "", errSkipped
		}
		r = bytes.NewReader(raw)
	}
	m, err = ParseMessage(r, key, fi.ModTime())
	if err != nil {
		return nil, "", err
	}
	return m, "", nil
}

// quarantineIn is Quarantine of the file name in the held directory d:
// it is moved relative to d, never by a path a link could lead elsewhere.
func (s *Spool) quarantineIn(d dir, name, why string) error {
	path := d.join(name)
	aside := fmt.Sprintf("%d.%s.%s", s.clock().Unix(), newID(), name)
	if err := s.writeFileAtomic(s.path(dirQuarantine, aside)+".why", []byte(why+"\nfrom: "+path+"\n"), 0o600); err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	q, err := s.openDir(s.path(dirQuarantine))
	if err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	defer q.close()
	if err := d.rename(name, q, aside); err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	return q.sync()
}

// errSkipped is a file a reader's filter passed over unparsed.
var errSkipped = errors.New("skipped by filter")

// errNotReady marks a file in new/ that a careless writer may still be
// writing in place (inplace.Check); it is left for a later look.
var errNotReady = errors.New("still being written")

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
	if owner, other := platform.OwnedByOther(fi); other {
		return fmt.Sprintf("owned by %s, not by this user", owner)
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
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	dst, err := mb.move(e, "cur", e.key(), flagInfo(flags))
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

// moveUnique renames the file name in from into to as key+info without
// ever replacing a file: a script may drop two files of one name into
// new/ over time, and each must survive. On a clash the key gets a fresh
// suffix. It returns the file's new path.
func moveUnique(from dir, name string, to dir, key, info string) (string, error) {
	dst := key + info
	for i := 0; ; i++ {
		err := from.renameNoReplace(name, to, dst)
		if err == nil || !errors.Is(err, fs.ErrExist) || i == 3 {
			return to.join(dst), err
		}
		dst = key + "." + newID() + info
	}
}

// move is moveUnique of the entry e of the held mb into its folder sub.
func (mb *Mailbox) move(e entry, sub, key, info string) (string, error) {
	from, to := mb.sub(e.dir), mb.sub(sub)
	if from == nil {
		return "", errMissing(mb, e.dir)
	}
	if to == nil {
		return "", errMissing(mb, sub)
	}
	return moveUnique(from, e.name, to, key, info)
}

// SetFlag adds flag to a message that has been read (in cur/, where
// Maildir keeps flags). An unread message is left as it is.
func (mb *Mailbox) SetFlag(m *Message, flag rune) error {
	if filepath.Base(filepath.Dir(m.Path)) != "cur" {
		return nil // in new/: Maildir keeps flags only in cur/
	}
	e := entry{dir: "cur", name: filepath.Base(m.Path)}
	flags := e.flags().With(flag)
	if flags == e.flags() {
		return nil
	}
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	dst, err := mb.move(e, "cur", e.key(), flagInfo(flags))
	if err != nil {
		return fmt.Errorf("flag %s: %w", m.ID, err)
	}
	m.Path, m.Flags = dst, flags
	return mb.syncSub("cur")
}

// Find returns the message with the given id from new/ or cur/: any id
// check shows. That is our 12-digit id, the Maildir key of a file another
// program named, or the Message-ID of a message another program wrote
// (with or without <>); or a unique prefix of any of these of at least 4
// characters. A key matches whole, however short. File names are looked
// at first; only when none matches are the headers of the messages read.
func (mb *Mailbox) Find(id string) (*Message, error) {
	id = strings.TrimSpace(id)
	if strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") {
		id = id[1 : len(id)-1]
	}
	if id == "" {
		return nil, fmt.Errorf("%w: give the id of a message (ipc check shows them)", ErrBadID)
	}
	mb, release, err := mb.hold()
	if err != nil {
		return nil, err
	}
	defer release()
	var ents []entry
	for _, sub := range []string{"new", "cur"} {
		es, err := mb.entries(sub)
		if err != nil {
			return nil, err
		}
		ents = append(ents, es...)
	}
	if e, n, ok := findByName(ents, id); ok || n > 1 {
		return mb.found(id, []entry{e}, n)
	}
	hits, n := mb.findByHeader(ents, id)
	if n == 0 && len(id) < 4 {
		return nil, fmt.Errorf("%w: %q is too short; give at least 4 characters of the id", ErrBadID, id)
	}
	return mb.found(id, hits, n)
}

// found reads the one hit, or says why there is none.
func (mb *Mailbox) found(id string, hits []entry, n int) (*Message, error) {
	switch {
	case n == 1:
		return mb.read(hits[0])
	case n > 1:
		return nil, fmt.Errorf("%w: %q matches %d messages; give more of the id", ErrNotFound, id, n)
	}
	return nil, fmt.Errorf("%w: no message %q in %s's mailbox", ErrNotFound, id, mb.Name)
}

// findByName matches id against the ids in file names: ours (also as
// ID@HOST) and keys. An exact match wins over prefixes; n counts the
// matches of the kind that won.
func findByName(ents []entry, id string) (e entry, n int, ok bool) {
	ours := id
	if l, _, at := strings.Cut(id, "@"); at && len(l) == 12 && isHex(l) {
		ours = l
	}
	var exact, prefix []entry
	for _, e := range ents {
		k, o := e.key(), idFromKey(e.key())
		switch {
		case (o != "" && o == ours) || k == id:
			exact = append(exact, e)
		case len(id) >= 4 && ((o != "" && strings.HasPrefix(o, ours)) || strings.HasPrefix(k, id)):
			prefix = append(prefix, e)
		}
	}
	hits := exact
	if len(hits) == 0 {
		hits = prefix
	}
	if len(hits) == 1 {
		return hits[0], 1, true
	}
	if len(hits) > 1 {
		return hits[0], len(hits), false
	}
	return entry{}, 0, false
}

// findByHeader matches id against the Message-ID of each file (as check
// shows it: ours without the host, others whole), exactly or, for 4
// characters or more, as a unique prefix.
func (mb *Mailbox) findByHeader(ents []entry, id string) ([]entry, int) {
	var exact, prefix []entry
	for _, e := range ents {
		mid := headerID(mb.sub(e.dir), e.name)
		switch {
		case mid == "":
		case mid == id:
			exact = append(exact, e)
		case len(id) >= 4 && strings.HasPrefix(mid, id):
			prefix = append(prefix, e)
		}
	}
	if len(exact) > 0 {
		return exact, len(exact)
	}
	return prefix, len(prefix)
}

// headerID returns the Message-ID in the headers of the file name in d,
// as check shows it, or "".
func headerID(d dir, name string) string {
	if d == nil {
		return ""
	}
	f, err := d.open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || unsafeFile(fi) != "" {
		return ""
	}
	msg, err := mail.ReadMessage(bufio.NewReaderSize(io.LimitReader(f, 64<<10), 4096))
	if err != nil {
		return ""
	}
	if ids := msgIDs(msg.Header.Get("Message-Id")); len(ids) > 0 {
		return ids[0]
	}
	return ""
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
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	var errs []error
	for _, m := range msgs {
		if m.claimedFrom == "" || filepath.Base(filepath.Dir(m.Path)) != "cur" {
			continue
		}
		from := entryAt(m.claimedFrom)
		sub, info := "new", ""
		if from.dir == "cur" {
			sub, info = "cur", flagInfo(entryAt(m.Path).flags().Without(FlagSeen))
		}
		dst, err := mb.move(entryAt(m.Path), sub, from.key(), info)
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
