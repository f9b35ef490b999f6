package spool

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 { return testkit.Allocated(f) }

// streamBound is what a send of a streamed text may allocate, whatever its
// size: its head, a piece buffer, the summary and the message.
const streamBound = 1 << 20

// A text given as a stream goes to large/ piece by piece: the send
// allocates a fixed amount whatever the size, and the file, its hash and
// the message are what a send of the same text as a string makes.
func TestSendStreamsALargeText(t *testing.T) {
	c := newClock()
	s := openTest(t, WithClock(c.Now))
	for _, mib := range []int64{1, 24} {
		size := mib << 20
		var rc Receipt
		var err error
		n := allocated(func() {
			rc, err = s.Send(Draft{From: "alice", To: []string{"bob"}, Text: &testkit.Text{Size: size}})
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("a send of a %d MiB stream allocated %d KiB", mib, n>>10)
		if n > streamBound {
			t.Errorf("a send of a %d MiB stream allocated %.1f MiB, want under %d MiB", mib, float64(n)/(1<<20), streamBound>>20)
		}
		whole, _ := io.ReadAll(&testkit.Text{Size: size})
		rc2, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: string(whole)})
		if err != nil {
			t.Fatal(err)
		}
		streamed, given := readBack(t, s, rc), readBack(t, s, rc2)
		if streamed.LargeSize != size || !bytes.Equal(streamed.text, given.text) {
			t.Errorf("%d MiB: large/ file of the stream (%d bytes, size %d) differs from the string's (%d bytes)",
				mib, len(streamed.text), streamed.LargeSize, len(given.text))
		}
		sum := sha256.Sum256(streamed.file)
		if streamed.LargeSHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%d MiB: X-IPC-Large-SHA256 %s is not the file's hash", mib, streamed.LargeSHA256)
		}
		if streamed.Text() != given.Text() || streamed.Subject != given.Subject {
			t.Errorf("%d MiB: summary %q / subject %q, want %q / %q", mib, streamed.Text(), streamed.Subject, given.Text(), given.Subject)
		}
		if !bytes.HasPrefix(streamed.file, []byte("From: alice\nTo: bob\n")) || !bytes.Equal(streamed.text, whole) {
			t.Errorf("%d MiB: large/ file does not hold the head and the whole text", mib)
		}
	}
	// A stream that ends within the head is a message like any other.
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Text: strings.NewReader("short\n")})
	if err != nil || rc.LargeFile != "" {
		t.Fatalf("short stream: %+v, %v", rc, err)
	}
	if m := readBack(t, s, rc); m.Body != "short\n" {
		t.Errorf("short stream: body %q", m.Body)
	}
}

// sent is a message read back with its large/ file, and the text in it
// after the head (which names the message's own time and id).
type sent struct {
	*Message
	file, text []byte
}

func readBack(t *testing.T, s *Spool, rc Receipt) sent {
	t.Helper()
	f, err := os.Open(rc.Delivered[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ParseMessage(f, "x", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out := sent{Message: m}
	if m.LargeFile != "" {
		if out.file, err = os.ReadFile(m.LargeFile); err != nil {
			t.Fatal(err)
		}
		if i := bytes.Index(out.file, []byte("\n\n")); i >= 0 {
			out.text = out.file[i+2:]
		}
	}
	return out
}

// fullDisk fails every write into large/ once Budget bytes have been
// written there, as a disk that fills up does.
type fullDisk struct {
	FS
	Budget  int64
	written atomic.Int64
}

func (d *fullDisk) Create(name string, perm os.FileMode) (File, error) {
	f, err := d.FS.Create(name, perm)
	if err != nil || filepath.Base(filepath.Dir(name)) != "large" {
		return f, err
	}
	return fullFile{f, d}, nil
}

type fullFile struct {
	File
	d *fullDisk
}

func (f fullFile) Write(p []byte) (int, error) {
	if f.d.written.Add(int64(len(p))) > f.d.Budget {
		return 0, &os.PathError{Op: "write", Path: "large", Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

// A send whose stream fails part-way (too long, a reader error at 30 MB,
// a full disk while the rest is copied or while the file is written, a
// blank text) delivers nothing and leaves nothing in large/.
func TestStreamFailureLeavesNothing(t *testing.T) {
	const mb30 = 30 << 20
	broken := errors.New("reader broke")
	for _, tc := range []struct {
		name   string
		text   io.Reader
		budget int64 // bytes large/ takes before the disk is full; 0: no limit
		want   error
	}{
		{"over the limit", &testkit.Text{Size: MaxMessage + 1}, 0, ErrTooLarge},
		{"reader error at 30 MB", io.MultiReader(&testkit.Text{Size: mb30}, iotestErr{broken}), 0, broken},
		{"disk full copying the rest", &testkit.Text{Size: 40 << 20}, mb30, syscall.ENOSPC},
		{"disk full writing the file", &testkit.Text{Size: 40 << 20}, 50 << 20, syscall.ENOSPC},
		{"blank", io.MultiReader(strings.NewReader(strings.Repeat(" \n", 1<<20)), strings.NewReader("\u3000\t")), 0, ErrEmpty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []Option
			if tc.budget > 0 {
				opts = append(opts, WithFS(&fullDisk{FS: OS, Budget: tc.budget}))
			}
			s := openTest(t, opts...)
			_, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Text: tc.text})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Send = %v, want %v", err, tc.want)
			}
			if got := files(t, filepath.Join(s.Root, "large")); len(got) != 0 {
				t.Errorf("large/ holds %v after the failure", got)
			}
			if mb := mustMailbox(t, s, "bob"); mb.Exists() {
				t.Error("the failed send made bob's mailbox")
			}
			if errors.Is(err, ErrTooLarge) && !strings.Contains(err.Error(), "is over the limit of 64 MiB; save it to a file and send its path") {
				t.Errorf("error %q does not say the limit as every other refusal does", err)
			}
			if _, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "after"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// iotestErr is a reader that fails with err.
type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

// The subject and the summary of a huge one-line body cost memory for what
// they keep, not four bytes a rune of the whole line (60 MB became 240 MB).
func TestSummariesOfAHugeLineAllocateLittle(t *testing.T) {
	line := strings.Repeat("é", 8<<20) // 16 MiB, one line
	var subject, summary string
	if n := allocated(func() { subject, summary = Subject(line), firstLines(line, 800) }); n > 1<<20 {
		t.Errorf("Subject and firstLines of a %d MiB line allocated %d MiB", len(line)>>20, n>>20)
	}
	if want := strings.Repeat("é", 59) + "…"; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	if want := strings.Repeat("é", 199) + "…"; summary != want {
		t.Errorf("summary of %d runes, want 200", len([]rune(summary)))
	}
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"}, {"exactly10!", 10, "exactly10!"}, {"eleven runes", 10, "eleven ru…"}, {"日本語テキスト", 4, "日本語…"},
	} {
		if got := shorten(tt.in, tt.n); got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	if got := firstLines("one\ntwo\nthree\n", 9); got != "one\ntwo\n" {
		t.Errorf("firstLines = %q", got)
	}
}

// blankScan sees white space as strings.TrimSpace does, however the text
// is cut into pieces.
func TestBlankScan(t *testing.T) {
	for _, text := range []string{"", " \n\t", "\u3000\u00a0\u2028 ", " x ", "\u3000é", "  \xe3\x80", "\xff", " \u3000!"} {
		want := strings.TrimSpace(text) == ""
		for n := 1; n <= 5; n++ {
			var b blankScan
			for rest := []byte(text); len(rest) > 0; rest = rest[min(n, len(rest)):] {
				b.scan(rest[:min(n, len(rest))])
			}
			if b.blank() != want {
				t.Errorf("%q in pieces of %d: blank %v, want %v", text, n, b.blank(), want)
			}
		}
	}
}

// dropStream drops into the outbox a file of header followed by body,
// copied from its reader, and returns its path.
func dropStream(t *testing.T, s *Spool, name, header string, body io.Reader) string {
	t.Helper()
	tmp := s.path(dirOutbox, "tmp", name)
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, io.MultiReader(strings.NewReader(header), body)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(s.OutboxDir(), name)
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// A large outbox drop-in has its body decoded into large/ as it is read:
// routing it allocates a fixed amount whatever its size, and the large/
// file and the message are what reading the file whole would give.
func TestRouteStreamsALargeDropIn(t *testing.T) {
	s := openTest(t)
	const header = "From: script@host\nTo: bob\nSubject: nightly log\nMessage-ID: <00000000beef@host>\n\n"
	for _, tc := range []struct {
		name, header string
		body         func() io.Reader
	}{
		{"plain 40 MiB", header, func() io.Reader { return &testkit.Text{Size: 40 << 20} }},
		{"quoted-printable", "From: script@host\nTo: bob\nMessage-ID: <00000000cafe@host>\nContent-Transfer-Encoding: quoted-printable\n\n",
			func() io.Reader {
				return strings.NewReader(strings.Repeat("caf=C3=A9 and a soft =\nbreak, a long line\n", 20000))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := dropStream(t, s, "drop", tc.header, tc.body())
			raw, _ := os.ReadFile(path)
			want, err := ParseMessage(bytes.NewReader(raw), "drop", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			raw = nil
			var r Routed
			n := allocated(func() { r, err = s.RouteOutbox("drop") })
			if err != nil || r.LargeFile == "" || len(r.To) != 1 {
				t.Fatalf("routed %+v, %v; want a large file for bob", r, err)
			}
			t.Logf("routing a %d KiB drop-in allocated %d KiB", len(want.Body)>>10, n>>10)
			if n > 2*streamBound {
				t.Errorf("routing a %d MiB drop-in allocated %.1f MiB, want under %d MiB", len(want.Body)>>20, float64(n)/(1<<20), 2*streamBound>>20)
			}
			file, err := os.ReadFile(r.LargeFile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(file, []byte("\n\n"+want.Body)) {
				t.Errorf("large/ file (%d bytes) does not end with the drop-in's text (%d bytes)", len(file), len(want.Body))
			}
			ms, err := mustMailbox(t, s, "bob").Check(CheckOptions{})
			if err != nil || len(ms) != 1 {
				t.Fatalf("bob: %d messages, %v", len(ms), err)
			}
			if m := ms[0]; m.LargeSize != int64(len(want.Body)) || m.Subject != want.Subject || m.ID != want.ID {
				t.Errorf("bob got size %d subject %q id %s; want %d %q %s", m.LargeSize, m.Subject, m.ID, len(want.Body), want.Subject, want.ID)
			}
		})
	}
	// A body that cannot be decoded, found 1 MiB in, is quarantined with
	// the reason, and nothing of it stays in large/.
	before := files(t, filepath.Join(s.Root, "large"))
	dropStream(t, s, "bad", "From: script@host\nTo: bob\nContent-Transfer-Encoding: base64\n\n",
		strings.NewReader(strings.Repeat("eHh4", 1<<18)+"\n!!!! not base64\n"))
	r, err := s.RouteOutbox("bad")
	if err != nil || !strings.Contains(r.Quarantined, "cannot be read as a message") {
		t.Fatalf("routed %+v, %v; want it quarantined as unreadable", r, err)
	}
	if got := files(t, filepath.Join(s.Root, "large")); len(got) != len(before) {
		t.Errorf("large/ holds %v after the failure, had %v", got, before)
	}
}
