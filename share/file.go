package share

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"unicode/utf8"
)

// MaxFile is the largest file shared; bigger text belongs in a file whose
// path is sent instead.
const MaxFile = 64 << 20

// RefusedError reports a path that cannot be shared: it cannot be opened,
// or it is not a regular file, or too large, or not UTF-8 text. It is the
// caller's mistake, not a fault of the system.
type RefusedError struct {
	Path   string
	Reason string
	Err    error // the underlying error, when opening failed
}

func (e *RefusedError) Error() string { return "share " + e.Path + ": " + e.Reason }

// Unwrap returns the error that made opening fail, if any.
func (e *RefusedError) Unwrap() error { return e.Err }

// ReadShareFile reads a regular file of UTF-8 text for sharing and returns
// its absolute path and content. It follows a symlink but checks what it
// opened (not what a name pointed to a moment before), and opening never
// blocks on a FIFO. A directory, a device, a FIFO, a socket, a binary file
// or one over MaxFile is refused with a *RefusedError.
func ReadShareFile(path string) (abs string, content []byte, err error) {
	abs, err = filepath.Abs(path)
	if err != nil {
		return "", nil, &RefusedError{Path: path, Reason: err.Error(), Err: err}
	}
	f, err := os.OpenFile(abs, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, &RefusedError{Path: path, Reason: openReason(err), Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", nil, fmt.Errorf("share %s: %w", path, err)
	}
	if why := notShareable(fi); why != "" {
		return "", nil, &RefusedError{Path: path, Reason: why}
	}
	content, err = io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return "", nil, fmt.Errorf("share %s: %w", path, err)
	}
	switch {
	case len(content) > MaxFile:
		return "", nil, &RefusedError{Path: path, Reason: fmt.Sprintf("over %d MiB; send its path instead", MaxFile>>20)}
	case !IsText(content):
		return "", nil, &RefusedError{Path: path, Reason: "binary content (not UTF-8 text); only text is shared, send its path instead"}
	}
	return abs, content, nil
}

// openReason says why a file could not be opened, in the words of the
// underlying error without repeating the path.
func openReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// notShareable says why fi cannot be shared, or "".
func notShareable(fi os.FileInfo) string {
	switch {
	case fi.IsDir():
		return "a directory, not a file; share its files one by one"
	case !fi.Mode().IsRegular():
		return fileKind(fi.Mode()) + ", not a regular file; only regular files are shared"
	case fi.Size() > MaxFile:
		return fmt.Sprintf("%d bytes is over %d MiB; send its path instead", fi.Size(), MaxFile>>20)
	}
	return ""
}

// fileKind names the type of a file that is not a regular file.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	}
	return "a special file"
}

// IsText reports whether b is UTF-8 text without NUL bytes.
func IsText(b []byte) bool { return TextProblem(b) == nil }

// Why text is refused. A NUL byte is valid UTF-8, so it has its own reason.
var (
	ErrNUL     = errors.New("holds a NUL byte")
	ErrNotUTF8 = errors.New("is not UTF-8 text")
)

// TextProblem says what keeps b from being mail text: nil, or ErrNUL or
// ErrNotUTF8 wrapped with the offset of the first bad byte, so callers can
// write "message holds a NUL byte at byte 12".
func TextProblem(b []byte) error {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return nulAt(int64(i))
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return notUTF8At(int64(i), b[i])
		}
		i += n
	}
	return nil
}

func nulAt(i int64) error { return fmt.Errorf("%w at byte %d", ErrNUL, i) }

func notUTF8At(i int64, b byte) error {
	return fmt.Errorf("%w (byte %d is 0x%02x)", ErrNotUTF8, i, b)
}

// FileData is the data attached to a shared file's message.
type FileData struct {
	Type        string `json:"type"` // "file"
	Path        string `json:"path"` // absolute
	Description string `json:"description"`
	Size        int64  `json:"size"`
}

// FileMessage returns the subject, body and data of the message that shares
// the file at abs with the given content: the subject "File: NAME
// (DESCRIPTION)", the content as the body (so a large file follows the
// large-message rule), and data {"type": "file", "path", "description",
// "size"}.
func FileMessage(abs string, content []byte, description string) (subject, body string, data json.RawMessage) {
	data, _ = json.Marshal(FileData{Type: "file", Path: abs, Description: description, Size: int64(len(content))})
	subject = "File: " + filepath.Base(abs)
	if description != "" {
		subject += " (" + description + ")"
	}
	return subject, string(content), data
}
