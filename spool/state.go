package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// State is how far one copy of a message got on its way to the agent it
// was sent to. States only ever advance; each is recorded once, when it is
// first reached.
//
//	stored        delivered into the mailbox (the rename into new/)
//	notified      pushed on a channel, or the session was woken for it
//	surfaced      it reached the model's context: hook context, a Stop
//	              hook's reason (a tool result or wait reads it outright)
//	read          the S flag: given to its reader (check, wait, a mail client)
//	acknowledged  a read receipt went to its sender
//	replied       the R flag: its reader answered it
//
// read and replied are the Maildir flags of the message file; notified,
// surfaced and acknowledged, which Maildir has no flag for, are marker
// files in state/delivery/NAME/ (ID.STATE, their mtime the time), each
// created once with O_EXCL, so processes marking the same message at once
// lose nothing and a crash leaves a marker either made or not (a power cut
// may forget the newest markers: they are not fsynced).
type State int

// The delivery states, in order.
const (
	Stored State = iota
	Notified
	Surfaced
	Read
	Acknowledged
	Replied
)

var stateNames = [...]string{"stored", "notified", "surfaced", "read", "acknowledged", "replied"}

// ErrBadState is returned for a state name that is none of the states.
var ErrBadState = errors.New("unknown delivery state")

func (st State) String() string {
	if st < Stored || st > Replied {
		return fmt.Sprintf("State(%d)", int(st))
	}
	return stateNames[st]
}

// MarshalText writes the state's name, for JSON.
func (st State) MarshalText() ([]byte, error) { return []byte(st.String()), nil }

// UnmarshalText reads a state's name.
func (st *State) UnmarshalText(b []byte) error {
	p, err := ParseState(string(b))
	*st = p
	return err
}

// ParseState returns the state named s.
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if strings.EqualFold(s, n) {
			return State(i), nil
		}
	}
	return Stored, fmt.Errorf("%w %q: use one of %s", ErrBadState, s, strings.Join(stateNames[:], ", "))
}

// Progress is where one copy of a message stands.
type Progress struct {
	Mailbox string               `json:"mailbox"`
	ID      string               `json:"id"`
	State   State                `json:"state"` // the furthest state reached
	At      map[string]time.Time `json:"at"`    // when states were reached, where known
}

// markerDir is where the markers of mb's messages live.
func (mb *Mailbox) markerDir() string { return mb.sp.path(dirState, "delivery", mb.Name) }

// DeliveryDirs lists the directories whose changes may advance the
// delivery state of mb's messages: new/, cur/ and the marker directory.
// A front end waiting for a state watches them.
func (mb *Mailbox) DeliveryDirs() []string {
	return []string{mb.NewDir(), mb.CurDir(), mb.markerDir()}
}

// Mark records that the message id (as Receipt.ID, Message.ID) reached
// st, one of Notified, Surfaced or Acknowledged; read and replied are
// recorded by the flags. Marking a state already marked does nothing.
func (mb *Mailbox) Mark(id string, st State) error {
	if st != Notified && st != Surfaced && st != Acknowledged {
		return fmt.Errorf("mark %s of %s: %w: only notified, surfaced and acknowledged are marked", id, mb.Name, ErrBadState)
	}
	if id == "" || strings.ContainsAny(id, `/\:.`) {
		return fmt.Errorf("mark %q of %s: %w", id, mb.Name, ErrBadID)
	}
	dir := mb.markerDir()
	f, err := mb.sp.fs.Create(filepath.Join(dir, id+"."+st.String()), 0o600)
	if errors.Is(err, fs.ErrNotExist) { // the first marker of the mailbox: make its directory
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := mb.sp.mkdir(d); err != nil {
				return fmt.Errorf("mark %s of %s: %w", id, mb.Name, err)
			}
		}
		f, err = mb.sp.fs.Create(filepath.Join(dir, id+"."+st.String()), 0o600)
	}
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark %s of %s: %w", id, mb.Name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mark %s of %s: %w", id, mb.Name, err)
	}
	// Not fsynced: a marker is a report, not mail, and a push or a hook
	// must not wait on the disk for it. A power cut may forget the last
	// markers made (the state shows less than it reached), never more.
	return nil
}

// Progress returns how far the message id in mb got. It fails with
// ErrNotFound when mb holds no such message.
func (mb *Mailbox) Progress(id string) (Progress, error) {
	var m *Message
	var err error
	// A reader may move the file (new/ to cur/, a flag added) between
	// Find's listing and its reading it, or while Find lists, so that no
	// listing shows it (a directory read during a rename may miss the
	// entry under both names): look again.
	for range 5 {
		if m, err = mb.Find(id); err == nil || !(errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist)) {
			break
		}
	}
	if err != nil {
		return Progress{}, err
	}
	return mb.ProgressOf(m), nil
}

// ProgressOf returns how far m, a message read from mb (its Path and
// Flags set), got.
func (mb *Mailbox) ProgressOf(m *Message) Progress {
	d := Progress{Mailbox: mb.Name, ID: m.ID, State: Stored, At: map[string]time.Time{}}
	if at := mb.sp.deliveredAt(m.Path, entryAt(m.Path).key()); !at.IsZero() {
		d.At[Stored.String()] = at.UTC()
	}
	reach := func(st State, at time.Time) {
		d.State = max(d.State, st)
		if !at.IsZero() {
			d.At[st.String()] = at.UTC()
		}
	}
	for _, st := range []State{Notified, Surfaced, Acknowledged} {
		if fi, err := os.Lstat(filepath.Join(mb.markerDir(), m.ID+"."+st.String())); err == nil && fi.Mode().IsRegular() {
			reach(st, fi.ModTime())
		}
	}
	// A flag's time is not kept (a file's ctime is not portable): read and
	// replied come without one.
	if m.Flags.Has(FlagSeen) {
		reach(Read, time.Time{})
	}
	if m.Flags.Has(FlagReplied) {
		reach(Replied, time.Time{})
	}
	return d
}
