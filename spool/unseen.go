package spool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The unseen index: state/unseen/NAME lists the files in NAME's cur/ that
// have no S flag, so that finding unread mail never costs a listing of a
// cur/ that may hold a million read messages. It is a cache: losing it,
// or finding it stale, costs one listing of cur/, never a message.
//
// A reader trusts the index when either
//   - the live leader wrote it (its pid and start time are in it and it
//     still holds spool.lock): the leader watches every cur/ and rewrites
//     the index whenever an unread file appears there, so the index lags the
//     disk only by the time a change notification takes; or
//   - cur/'s modification time is the one the index was listed at, and that
//     time was old enough when it was listed (see racyWindow) that no change
//     made during the listing could have left the same time.
//
// Either way the reader checks that every file the index names is still
// there before counting it (a name carries its flags, so a file read,
// flagged or removed meanwhile is gone under that name). An index it
// cannot trust it rebuilds by listing cur/, and writes for the next reader.

// unseenMagic opens every index file; unseenEnd closes it, so that a file
// cut short (a crash while writing) is never taken for a short list.
const (
	unseenMagic = "ipc-unseen 1"
	unseenEnd   = "end"
	maxUnseen   = 64 << 20 // a larger index is not read; cur/ is listed instead
)

// racyWindow is how old cur/'s modification time must be, when a listing
// starts, for the listing to be stamped with it: a directory's time has the
// granularity of the kernel's coarse clock (or of the file system), so a
// change within that granularity of the listing could leave the time the
// same. Two seconds covers every file system ipc runs on.
const racyWindow = 2 * time.Second

// unseenIndex is the content of one index file.
type unseenIndex struct {
	leader Holder   // the leader that keeps it; PID 0 when a reader wrote it
	stamp  int64    // cur/'s mtime (ns) the list is exact for; 0: none
	names  []string // files in cur/ without S, as listed
}

func (s *Spool) unseenPath(name string) string { return s.path(dirState, "unseen", name) }

func (ix unseenIndex) marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nleader %d %d\nstamp %d\n", unseenMagic, ix.leader.PID, ix.leader.Since.UnixNano(), ix.stamp)
	for _, n := range ix.names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	b.WriteString(unseenEnd + "\n")
	return b.Bytes()
}

// parseUnseen reads an index file; ok is false for anything but a whole,
// well-formed one.
func parseUnseen(b []byte) (ix unseenIndex, ok bool) {
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 || lines[0] != unseenMagic || lines[len(lines)-1] != "" || lines[len(lines)-2] != unseenEnd {
		return ix, false
	}
	var pid, since int64
	if _, err := fmt.Sscanf(lines[1], "leader %d %d", &pid, &since); err != nil {
		return ix, false
	}
	if _, err := fmt.Sscanf(lines[2], "stamp %d", &ix.stamp); err != nil {
		return ix, false
	}
	if pid > 0 {
		ix.leader = Holder{PID: int(pid), Since: time.Unix(0, since).UTC()}
	}
	for _, n := range lines[3 : len(lines)-2] {
		if n == "" || strings.ContainsRune(n, '/') || strings.HasPrefix(n, ".") {
			return ix, false
		}
		ix.names = append(ix.names, n)
	}
	return ix, true
}

// unseenInCur returns the files in cur/ without the S flag, from the index
// when it can be trusted, else by listing cur/ (and then writing the index
// for the next reader).
func (mb *Mailbox) unseenInCur() ([]entry, error) {
	mb, release, err := mb.hold()
	if err != nil {
		return nil, err
	}
	defer release()
	if ix, ok := mb.trustedIndex(); ok {
		return mb.present(ix.names), nil
	}
	ix, err := mb.listUnseen()
	if err != nil {
		return nil, err
	}
	if ix.stamp != 0 {
		// The next reader may trust this listing as long as cur/ does not
		// change; a failure to write it only means listing again.
		_ = mb.sp.writeUnseen(mb.Name, ix)
	}
	return entriesIn("cur", ix.names), nil
}

// trustedIndex reads the index and reports whether it may be trusted.
func (mb *Mailbox) trustedIndex() (unseenIndex, bool) {
	b, err := readLimited(mb.sp.unseenPath(mb.Name), maxUnseen)
	if err != nil {
		return unseenIndex{}, false
	}
	ix, ok := parseUnseen(b)
	if !ok {
		return ix, false
	}
	if ix.leader.PID > 0 {
		if h, led := mb.sp.Leader(); led && h.PID == ix.leader.PID && h.Since.Equal(ix.leader.Since) {
			return ix, true
		}
	}
	if ix.stamp != 0 {
		if m, err := mb.curMtime(); err == nil && m == ix.stamp {
			return ix, true
		}
	}
	return ix, false
}

// curMtime returns the modification time of mb's cur/ in nanoseconds:
// of the held cur/, or by path for a mailbox not held (status reports).
func (mb *Mailbox) curMtime() (int64, error) {
	if mb.held == nil {
		return mtimeNano(mb.CurDir())
	}
	d := mb.sub("cur")
	if d == nil {
		return 0, errMissing(mb, "cur")
	}
	st, err := d.stat()
	if err != nil {
		return 0, err
	}
	return st.ModTime.UnixNano(), nil
}

// listUnseen lists cur/ and returns its unread files, stamped with cur/'s
// modification time when that time is old enough to be trusted.
func (mb *Mailbox) listUnseen() (unseenIndex, error) {
	start := mb.sp.clock()
	m, err := mb.curMtime()
	if errors.Is(err, fs.ErrNotExist) {
		return unseenIndex{}, nil
	}
	if err != nil {
		return unseenIndex{}, fmt.Errorf("list %s/cur: %w", mb.Name, err)
	}
	ents, err := mb.entries("cur")
	if err != nil {
		return unseenIndex{}, err
	}
	ix := unseenIndex{}
	if start.Sub(time.Unix(0, m)) >= racyWindow {
		ix.stamp = m
	}
	for _, e := range ents {
		if e.unread() {
			ix.names = append(ix.names, e.name)
		}
	}
	return ix, nil
}

// present returns the entries of the names still in cur/.
func (mb *Mailbox) present(names []string) []entry {
	mb, release, err := mb.hold()
	if err != nil {
		return nil
	}
	defer release()
	cur := mb.sub("cur")
	out := make([]entry, 0, len(names))
	for _, n := range names {
		if cur == nil {
			break
		}
		if _, err := cur.lstat(n); err == nil {
			out = append(out, entry{dir: "cur", name: n})
		}
	}
	return out
}

func entriesIn(sub string, names []string) []entry {
	out := make([]entry, len(names))
	for i, n := range names {
		out[i] = entry{dir: sub, name: n}
	}
	return out
}

// writeUnseen replaces name's index. It is not fsynced: after a power cut
// an index that is stale or cut short is rebuilt, and nothing else
// depends on it.
func (s *Spool) writeUnseen(name string, ix unseenIndex) (err error) {
	dir := s.path(dirState, "unseen")
	if err := s.mkdir(dir); err != nil {
		return fmt.Errorf("write unseen index of %s: %w", name, err)
	}
	path := s.unseenPath(name)
	tmp := filepath.Join(dir, "."+name+".tmp"+newID())
	f, err := s.fs.Create(tmp, 0o600)
	if err != nil {
		return fmt.Errorf("write unseen index of %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = s.fs.Remove(tmp)
			err = fmt.Errorf("write unseen index of %s: %w", name, err)
		}
	}()
	w := bufio.NewWriter(f)
	if _, err = w.Write(ix.marshal()); err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return s.fs.Rename(tmp, path)
}

// mtimeNano returns the modification time of path in nanoseconds.
func mtimeNano(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.ModTime().UnixNano(), nil
}

// readLimited reads a file of at most max bytes without following a
// symlink; a larger file is an error.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, err
}

// UnreadName reports whether a file name in cur/ marks an unread message:
// one without the S flag. A watcher of cur/ filters its reports with it.
func UnreadName(name string) bool {
	return !strings.HasPrefix(name, ".") && entry{dir: "cur", name: name}.unread()
}

// UnreadFile reports whether a file named name in dir may be unread mail:
// false only for a file in a cur/ folder that has the S flag (or a dot
// file). It is the Filter for a watcher of Maildir folders (new/, cur/)
// and of other spool directories, where every file counts.
func UnreadFile(dir, name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	return filepath.Base(dir) != "cur" || UnreadName(name)
}

// UnseenKeeper keeps the unseen index of the mailboxes it is given, for the
// leader, from the files its watcher reports appearing in their cur/. Its
// methods are not safe for concurrent use: the leader's loop owns it.
type UnseenKeeper struct {
	sp    *Spool
	by    Holder
	boxes map[string]map[string]string // mailbox → key → file name in cur/
	dirty map[string]bool
}

// KeepUnseen returns a keeper that signs the indexes it writes as the
// leader by (Leadership.Info): readers trust them while by leads.
func (s *Spool) KeepUnseen(by Holder) *UnseenKeeper {
	return &UnseenKeeper{sp: s, by: by, boxes: map[string]map[string]string{}, dirty: map[string]bool{}}
}

// Rebuild lists name's cur/ and writes its index. Call it once the watch
// on cur/ is in place, so that nothing arriving in between is missed.
func (k *UnseenKeeper) Rebuild(name string) error {
	mb, err := k.sp.Mailbox(name)
	if err != nil {
		return err
	}
	mb, release, err := mb.hold() // cur/'s time and listing of one held cur/
	if err != nil {
		return err
	}
	defer release()
	ix, err := mb.listUnseen()
	if err != nil {
		return err
	}
	box := make(map[string]string, len(ix.names))
	for _, n := range ix.names {
		box[entry{name: n}.key()] = n
	}
	k.boxes[name] = box
	ix.leader = k.by
	delete(k.dirty, name)
	return k.sp.writeUnseen(name, ix)
}

// Note records that file appeared in name's cur/. The index is written by
// the next Flush.
func (k *UnseenKeeper) Note(name, file string) {
	box, ok := k.boxes[name]
	if !ok {
		return // not kept (yet): Rebuild lists it
	}
	e := entry{dir: "cur", name: file}
	switch old, had := box[e.key()]; {
	case e.unread() && old != file:
		box[e.key()] = file
	case !e.unread() && had:
		delete(box, e.key())
	default:
		return // nothing changed
	}
	k.dirty[name] = true
}

// Forget stops keeping name's index (its cur/ is no longer watched); the
// index left behind is trusted no more than any other without a leader.
func (k *UnseenKeeper) Forget(name string) {
	delete(k.boxes, name)
	delete(k.dirty, name)
}

// Flush writes the index of every mailbox noted since the last Flush,
// leaving out the files no longer there. What is there is looked up in
// the held cur/: a mailbox that cannot be held now (a link in place of
// one of its directories) is left to the next Flush, so that the index
// the leader signs never leaves out its own unread files for want of
// them in another directory.
func (k *UnseenKeeper) Flush() error {
	var errs []error
	for name := range k.dirty {
		if err := k.flush(name); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(k.dirty, name)
	}
	return errors.Join(errs...)
}

// flush writes name's index.
func (k *UnseenKeeper) flush(name string) error {
	mb, err := k.sp.Mailbox(name)
	if err != nil {
		return err
	}
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	cur := mb.sub("cur")
	box := k.boxes[name]
	ix := unseenIndex{leader: k.by}
	for key, file := range box {
		if cur == nil {
			delete(box, key)
			continue
		}
		if _, err := cur.lstat(file); err != nil {
			delete(box, key)
			continue
		}
		ix.names = append(ix.names, file)
	}
	return k.sp.writeUnseen(name, ix)
}

// UnseenIndex reports the files in cur/ that the unseen index names and
// that are still there, and whether a reader would trust the index now
// (false: readers list cur/ instead). It is for status reports and tests.
func (mb *Mailbox) UnseenIndex() (names []string, trusted bool) {
	mb, release, err := mb.hold()
	if err != nil {
		return nil, false
	}
	defer release()
	ix, trusted := mb.trustedIndex()
	for _, e := range mb.present(ix.names) {
		names = append(names, e.name)
	}
	return names, trusted
}
