package spool

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// What the shared secret promises (IPC_SHARED_SECRET, Config.Secret).
//
// With a secret set, every message ipc writes carries an HMAC-SHA256 over
// its sender, recipients, date, id, subject, data, thread, the large/ file
// it names and the SHA-256 of that file, and its inline body. A reader
// shows a message only when, in constant time:
//
//   - the HMAC verifies: nobody without the secret made or changed it;
//   - the mailbox it sits in is one of its recipients, or a name its
//     recipient was renamed to (the rename records are themselves signed):
//     a message copied into another mailbox is not shown there;
//   - the large/ file it names, if that file is there, has the signed
//     hash: an edit of the full text, even one that keeps its size, is
//     caught;
//   - no other file in the mailbox holds the same signed Message-ID: a
//     message replayed into a mailbox is shown once.
//
// Anything else is quarantined with the reason. The secret does not hide
// anything (messages are plain text, readable by whoever can read the
// spool), does not stop a process with the secret from forging, does not
// stop deletion, and cannot tell a replay from the original once the
// original has been deleted.

// largeHash returns the hex SHA-256 of the file at path, read without
// following a symbolic link.
func largeHash(path string) (string, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxMessage+1)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// distrust says why mb must not show m, read from entry e; "" when it may.
// It is asked only when a secret is set.
func (mb *Mailbox) distrust(m *Message, e entry) string {
	secret := mb.sp.Config.Secret
	if !m.Verify(secret) {
		return "signature does not verify with IPC_SHARED_SECRET (forged, or sent without the secret)"
	}
	if !mb.addressed(m) {
		return fmt.Sprintf("signed for %s, not for this mailbox (%s): a copy from another mailbox", strings.Join(m.To, ", "), mb.Name)
	}
	if m.LargeFile != "" && m.LargeSHA256 != "" {
		got, err := largeHash(m.LargeFile)
		if err == nil && !hmac.Equal([]byte(got), []byte(m.LargeSHA256)) {
			return "the full text in " + m.LargeFile + " is not the one that was signed (edited after sending)"
		}
	}
	if other := mb.sp.ids.holder(mb, m.ID, e); other != "" {
		return "a replay: " + other + " in this mailbox already holds signed message " + m.ID
	}
	return ""
}

// addressed reports whether mb is one of m's recipients, directly or
// through the signed record of renames (bob renamed to robert, robert to
// rob: mail signed for bob belongs in rob's mailbox).
func (mb *Mailbox) addressed(m *Message) bool {
	for _, to := range m.To {
		name := localPart(to)
		for hop := 0; hop < 8 && name != ""; hop++ {
			if strings.EqualFold(name, mb.Name) {
				return true
			}
			name = mb.sp.renamedTo(name)
		}
	}
	return false
}

// renameMAC is the signature of a rename record, so a writer without the
// secret cannot make mail signed for one name acceptable in another's
// mailbox by writing a record.
func renameMAC(secret, old, newName string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "rename\n%s\n%s\n", old, newName)
	return hex.EncodeToString(mac.Sum(nil))
}

// renameRecord is the content of state/renamed/NAME for a rename.
func (s *Spool) renameRecord(old, newName string) []byte {
	rec := fmt.Sprintf("%s was renamed to %s\n", old, newName)
	if s.Config.Secret != "" {
		rec += "mac " + renameMAC(s.Config.Secret, old, newName) + "\n"
	}
	return []byte(rec)
}

// renamedTo returns the name that name was last renamed to, "" if none is
// recorded (or, with a secret, if the record's signature does not verify).
func (s *Spool) renamedTo(name string) string {
	b, err := readNoFollow(s.renamePath(name))
	if err != nil {
		return ""
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	old, newName, ok := strings.Cut(first, " was renamed to ")
	if !ok || !strings.EqualFold(old, name) {
		return ""
	}
	if secret := s.Config.Secret; secret != "" {
		mac, _ := strings.CutPrefix(strings.TrimSpace(rest), "mac ")
		if !hmac.Equal([]byte(mac), []byte(renameMAC(secret, old, newName))) {
			return ""
		}
	}
	return newName
}

// idIndex answers "which other file of this mailbox holds message id?"
// from listings of new/ and cur/, kept while neither directory changes.
type idIndex struct {
	mu    sync.Mutex
	boxes map[string]*idListing // by mailbox directory
}

type idListing struct {
	newMod, curMod time.Time
	keys           map[string][]string // id → keys of the files named R<id>
}

// holder returns the name of another file in mb that holds id and comes
// first (the smallest key of those named for it), or "" when e is the
// one to show. A file whose name does not carry its id ("R<id>.") loses to
// any that does: the spool names every file it delivers that way.
func (x *idIndex) holder(mb *Mailbox, id string, e entry) string {
	keys := x.keys(mb, id)
	own := strings.Contains(e.key(), "R"+id+".")
	for _, k := range keys {
		if k == e.key() {
			continue
		}
		if !own || k < e.key() {
			return k
		}
	}
	return ""
}

// fresh reports a directory time too recent to key a cache on: file
// systems keep it to a clock tick (4 ms on Linux), so a change in the same
// tick would go unseen.
func fresh(mod time.Time) bool { return time.Since(mod) < 50*time.Millisecond }

// keys returns the keys of the files in mb named for id.
func (x *idIndex) keys(mb *Mailbox, id string) []string {
	mb, release, err := mb.hold()
	if err != nil {
		return nil
	}
	defer release()
	if mb.sub("new") == nil || mb.sub("cur") == nil {
		return nil
	}
	nfi, nerr := mb.sub("new").stat()
	cfi, cerr := mb.sub("cur").stat()
	if nerr != nil || cerr != nil {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	l := x.boxes[mb.Dir]
	if l == nil || !l.newMod.Equal(nfi.ModTime) || !l.curMod.Equal(cfi.ModTime) ||
		fresh(nfi.ModTime) || fresh(cfi.ModTime) {
		l = &idListing{newMod: nfi.ModTime, curMod: cfi.ModTime, keys: map[string][]string{}}
		for _, sub := range []string{"new", "cur"} {
			ents, _ := mb.entries(sub)
			for _, en := range ents {
				if i := idFromKey(en.key()); i != "" {
					l.keys[i] = append(l.keys[i], en.key())
				}
			}
		}
		if x.boxes == nil {
			x.boxes = map[string]*idListing{}
		}
		x.boxes[mb.Dir] = l
	}
	return l.keys[id]
}
