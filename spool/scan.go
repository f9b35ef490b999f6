package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Entry is one message file of a mailbox as its directory lists it: what
// can be known of a message without opening it. Searches and the web
// inbox sort and filter entries by name first and read only the few
// messages they show.
type Entry struct {
	Mailbox string // the mailbox's name
	Dir     string // "new" or "cur"
	Name    string // the file name, with any ":2,FLAGS" (or "!2,FLAGS") info
}

func (e Entry) entry() entry { return entry{dir: e.Dir, name: e.Name} }

// Key returns the file's Maildir unique name, without its info.
func (e Entry) Key() string { return e.entry().key() }

// Flags returns the Maildir flags in the file's name.
func (e Entry) Flags() Flags { return e.entry().flags() }

// Unread reports whether the message has not been seen: it has no S flag,
// whether it is still in new/ or already in cur/ (as mail clients leave
// listed mail).
func (e Entry) Unread() bool { return e.Dir == "new" || !e.Flags().Has(FlagSeen) }

// ID returns the message id that ipc put in the file's name, or "" for a
// name some other program chose (then only the file says).
func (e Entry) ID() string { return idFromKey(e.Key()) }

// Arrived returns the delivery time in the file's Maildir name; ok is
// false for a name in another form.
func (e Entry) Arrived() (t time.Time, ok bool) { return timeFromKey(e.Key()) }

// Entries lists the mailbox's messages, new/ then cur/, in directory
// order, opening none of them. A mailbox not yet created has none.
func (mb *Mailbox) Entries() ([]Entry, error) {
	var out []Entry
	for _, sub := range []string{"new", "cur"} {
		ents, err := mb.entries(sub)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			out = append(out, Entry{Mailbox: mb.Name, Dir: e.dir, Name: e.name})
		}
	}
	return out, nil
}

// Read reads the message of an entry without claiming it, with the checks
// Check makes: a file that is not a regular file of ours, or whose
// signature does not verify, is quarantined and reported as an error. A
// message moved meanwhile (read, or marked) gives an error matching
// fs.ErrNotExist.
func (mb *Mailbox) Read(e Entry) (*Message, error) {
	if e.Mailbox != mb.Name || (e.Dir != "new" && e.Dir != "cur") || !plainFileName(e.Name) {
		return nil, fmt.Errorf("%w: %q is not a message file of %s", ErrNotFound, filepath.Join(e.Dir, e.Name), mb.Name)
	}
	return mb.read(e.entry())
}

// ReadIf is Read for searches: keep sees the file's bytes, after the
// safety checks and before they are parsed, and a file it refuses is not
// parsed at all: ReadIf then returns nil and no error. keep must not keep
// raw.
func (mb *Mailbox) ReadIf(e Entry, keep func(raw []byte) bool) (*Message, error) {
	if e.Mailbox != mb.Name || (e.Dir != "new" && e.Dir != "cur") || !plainFileName(e.Name) {
		return nil, fmt.Errorf("%w: %q is not a message file of %s", ErrNotFound, filepath.Join(e.Dir, e.Name), mb.Name)
	}
	m, err := mb.readIf(e.entry(), keep)
	if errors.Is(err, errSkipped) {
		return nil, nil
	}
	return m, err
}

// plainFileName reports whether name is a bare file name, never a path.
func plainFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".")
}

// Changed returns the latest modification time of the mailboxes' new/ and
// cur/ directories and of mail/ itself: a message delivered, read, marked
// or moved, or a mailbox created, makes it later. Indexes kept beside the
// spool compare it with the time they were last brought up to date.
func (s *Spool) Changed() (time.Time, error) {
	latest := time.Time{}
	see := func(dir string) error {
		fi, err := os.Stat(dir)
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return fmt.Errorf("spool: changed: %w", err)
		}
		if fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
		return nil
	}
	if err := see(s.path(dirMail)); err != nil {
		return latest, err
	}
	names, err := s.Names()
	if err != nil {
		return latest, err
	}
	for _, n := range names {
		for _, sub := range []string{"new", "cur"} {
			if err := see(s.path(dirMail, n, sub)); err != nil {
				return latest, err
			}
		}
	}
	return latest, nil
}

// MailDir returns the directory that holds every mailbox, mail/.
func (s *Spool) MailDir() string { return s.path(dirMail) }

// LargeDir returns the directory that holds the full text of large
// messages, large/.
func (s *Spool) LargeDir() string { return s.path(dirLarge) }

// MarkSeen marks a message read (seen: the S flag set, the file moved to
// cur/ if it was in new/) or unread (the S flag cleared; the file stays in
// cur/, where Maildir keeps flags), as any Maildir client does. The
// directories changed are fsynced, so the mark survives a power cut. A
// message already so marked is left alone.
func (mb *Mailbox) MarkSeen(m *Message, seen bool) error {
	e := entryAt(m.Path)
	if filepath.Dir(m.Path) != mb.NewDir() && filepath.Dir(m.Path) != mb.CurDir() {
		return fmt.Errorf("mark %s: %w: not a message of %s", m.ID, ErrNotFound, mb.Name)
	}
	flags := e.flags()
	if seen {
		flags = flags.With(FlagSeen)
	} else {
		flags = flags.Without(FlagSeen)
	}
	if e.dir == "new" && !seen || e.dir == "cur" && flags == e.flags() {
		return nil
	}
	mb, release, err := mb.hold()
	if err != nil {
		return err
	}
	defer release()
	dst, err := mb.move(e, "cur", e.key(), flagInfo(flags))
	if err != nil {
		return fmt.Errorf("mark %s: %w", m.ID, err)
	}
	m.Path, m.Flags = dst, flags
	if e.dir == "new" {
		return mb.syncDirs()
	}
	return mb.syncSub("cur")
}
