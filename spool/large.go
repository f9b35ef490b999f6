package spool

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Large messages. A body over Config.LargeThreshold is kept whole in
// large/NAME (0600) after a head of From, To, Time and Size lines; the
// message carries a summary of its first lines, the path, the size and the
// SHA-256 of the file (signed with the rest when a secret is set). The file
// is written durably (a temporary file, fsync, rename, fsync of large/)
// before any message naming it is delivered; a send that delivers nothing
// removes it again, and one that fails while writing it leaves no part of
// it. A body given as a stream (Draft.Text, or a large outbox drop-in's
// body, decoded as it is read) goes into the file piece by piece, counted
// against MaxMessage and hashed on its way: the send holds its first
// bytes, not the whole text.

// pieceSize is how much of a large body is held at once on its way to large/.
const pieceSize = 64 << 10

// summaryBytes is the most of a large body its summary shows (firstLines).
const summaryBytes = 800

// stream is the part of a streamed body (Draft.Text) not yet read when
// the message was composed: its first bytes are the message's Body.
type stream struct {
	r    io.Reader
	room int64 // how many more bytes r may give within MaxMessage
	// blank follows the text while all of it is white space and the
	// message has no data: such a message is refused at the end (ErrEmpty).
	blank *blankScan
}

// readHead reads the first bytes of the text r: enough for the
// large-message rule to tell whether it is large, and for its subject and
// summary. The whole text when it ends within them (s is then nil), else
// its head and the stream of the rest. reserve is what the rest of the
// message (data, subject) takes of MaxMessage; with refuseBlank a text
// that is all white space is refused at its end.
func (c Config) readHead(r io.Reader, reserve int, refuseBlank bool) (head string, s *stream, err error) {
	want := max(c.LargeThreshold, summaryBytes) + 1
	room := MaxMessage - reserve
	want = min(want, max(room, 0)+1) // one byte over the room is refused as today
	buf := make([]byte, want)
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return string(buf[:n]), nil, nil
	case err != nil:
		return "", nil, fmt.Errorf("read the text: %w", err)
	}
	st := &stream{r: r, room: int64(room - n)}
	if refuseBlank {
		st.blank = new(blankScan)
		if st.blank.scan(buf); st.blank.seen {
			st.blank = nil
		}
	}
	return string(buf), st, nil
}

// largeName is the name of m's file in large/.
func largeName(m *Message) (name, from string) {
	to := strings.Join(m.To, ",")
	if len(m.To) > 3 {
		to = "all"
	}
	from = m.From
	if from == "" {
		from = "unknown"
	}
	return fmt.Sprintf("%s_%s_%s_%s.md", m.Date.Format("20060102-150405"), from, to, m.ID), from
}

// storeLarge writes m's full body to large/ (0600): m.Body, then what
// rest (nil: nothing) still holds. It then replaces the body by a summary
// that names the file. When it fails, nothing of the file is left.
func (s *Spool) storeLarge(m *Message, rest *stream) error {
	name, from := largeName(m)
	path := s.path(dirLarge, name)
	buf := make([]byte, pieceSize)
	size := int64(len(m.Body))
	var part *os.File // the rest, read once to learn the size that heads the file
	if rest != nil {
		partPath := s.path(dirLarge, "."+name+".part"+newID())
		n, err := s.spoolRest(partPath, rest, buf)
		if err != nil {
			return fmt.Errorf("store large message: %w", err)
		}
		defer s.fs.Remove(partPath)
		if part, err = openNoFollow(partPath); err != nil {
			return fmt.Errorf("store large message: %w", err)
		}
		defer part.Close()
		size += n
	}
	sum := sha256.New()
	err := s.replaceWith(path, 0o600, true, func(f io.Writer) error {
		w := io.MultiWriter(f, sum)
		fmt.Fprintf(w, "From: %s\nTo: %s\nTime: %s\nSize: %d bytes\n\n", from, strings.Join(m.To, ", "),
			m.Date.Format(time.RFC3339), size)
		if err := writeString(w, m.Body, buf); err != nil {
			return err
		}
		if part == nil {
			return nil
		}
		_, err := io.CopyBuffer(w, struct{ io.Reader }{part}, buf)
		return err
	})
	if err != nil {
		return fmt.Errorf("store large message: %w", err)
	}
	m.LargeSHA256 = hex.EncodeToString(sum.Sum(nil))
	m.LargeFile, m.LargeSize = path, size
	m.Body = strings.TrimRight(firstLines(m.Body, summaryBytes), "\n") + "\n" + largeNote(m.LargeSize, path) + "\n"
	return nil
}

// spoolRest copies what rest still holds to a scratch file at path (not
// fsynced: the file of the message is written from it), refusing more than
// its room and a text that stays blank. It returns how much it copied; on
// failure the scratch file is gone.
func (s *Spool) spoolRest(path string, rest *stream, buf []byte) (n int64, err error) {
	f, err := s.fs.Create(path, 0o600)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = s.fs.Remove(path)
		}
	}()
	for {
		k, rerr := rest.r.Read(buf)
		n += int64(k)
		if n > rest.room {
			return n, fmt.Errorf("%w: more than %d bytes is over the limit of %d MiB; save it to a file and send its path",
				ErrTooLarge, MaxMessage, MaxMessage>>20)
		}
		if rest.blank != nil {
			rest.blank.scan(buf[:k])
		}
		if _, err := f.Write(buf[:k]); err != nil {
			return n, err
		}
		switch {
		case errors.Is(rerr, io.EOF):
			if rest.blank != nil && rest.blank.blank() {
				return n, fmt.Errorf("%w: give some text (or data)", ErrEmpty)
			}
			return n, nil
		case rerr != nil:
			return n, fmt.Errorf("read the text: %w", rerr)
		}
	}
}

// writeString writes s to w a piece at a time through buf, so that a
// writer without WriteString (a hash beside the file) costs no copy of s.
func writeString(w io.Writer, s string, buf []byte) error {
	for len(s) > 0 {
		n := copy(buf, s)
		if _, err := w.Write(buf[:n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// blankScan follows a text given piece by piece and tells whether all of
// it is white space (as strings.TrimSpace sees it), a rune cut by the end
// of one piece being finished by the next.
type blankScan struct {
	seen  bool // something that is not white space
	carry []byte
}

func (b *blankScan) scan(p []byte) {
	for len(p) > 0 && !b.seen {
		if len(b.carry) > 0 {
			k := min(len(p), utf8.UTFMax-len(b.carry))
			b.carry = append(b.carry, p[:k]...)
			if !utf8.FullRune(b.carry) {
				return
			}
			r, size := utf8.DecodeRune(b.carry)
			b.seen = !unicode.IsSpace(r)
			p, b.carry = p[max(size-(len(b.carry)-k), 0):], b.carry[:0]
			continue
		}
		p = bytes.TrimLeftFunc(p, unicode.IsSpace)
		if len(p) > 0 && len(p) < utf8.UTFMax && !utf8.FullRune(p) {
			b.carry = append(b.carry, p...)
			return
		}
		b.seen = len(p) > 0
	}
}

// blank reports whether the text scanned was all white space.
func (b *blankScan) blank() bool { return !b.seen && len(b.carry) == 0 }

// dropLarge removes the large/ file of a message that was not delivered
// anywhere, so a refused send leaves no trace.
func (s *Spool) dropLarge(m *Message) {
	if m.LargeFile == "" {
		return
	}
	if err := s.fs.Remove(m.LargeFile); err == nil {
		_ = s.fs.SyncDir(filepath.Dir(m.LargeFile))
	}
}

// largeNote is the line that ends the summary of a large message, naming
// the file with its full text, so that any mail reader shows where it is.
func largeNote(size int64, path string) string {
	return fmt.Sprintf("[Large message: %d bytes. Full text: %s]", size, path)
}
