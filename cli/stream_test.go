package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// aliceWithStdin returns a fresh spool's home and a runner of ipc as
// alice there, with in as stdin.
func aliceWithStdin(t *testing.T) (home string, run func(in io.Reader, args ...string) result) {
	home = t.TempDir() + "/s"
	env := map[string]string{"IPC_HOME": home, "IPC_NAME": "alice"}
	return home, func(in io.Reader, args ...string) result {
		var out, errb bytes.Buffer
		code := Run(&App{In: in, Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}, args)
		return result{out: out.String(), err: errb.String(), code: code}
	}
}

// A long message on stdin goes into large/ as it is read: 'ipc send'
// allocates a small fixed amount, not the text's size, and a bad byte deep
// in the text, or too much of it, is refused with the words a short text
// gets (exit 2), leaving no file in large/ and no message.
func TestSendStreamsStdin(t *testing.T) {
	home, run := aliceWithStdin(t)
	const size = 40 << 20
	var r result
	n := testkit.Allocated(func() { r = run(&testkit.Text{Size: size}, "send", "bob", "-") })
	if r.code != 0 {
		t.Fatalf("send of %d MiB: exit %d, %s", size>>20, r.code, r.err)
	}
	t.Logf("ipc send of %d MiB on stdin allocated %d KiB", size>>20, n>>10)
	if n > 4<<20 {
		t.Errorf("ipc send of %d MiB on stdin allocated %.1f MiB, want under 4 MiB", size>>20, float64(n)/(1<<20))
	}
	for _, tc := range []struct {
		name string
		in   io.Reader
		want string
	}{
		{"not UTF-8 at 30 MB", &testkit.Text{Size: size, Bad: 30 << 20, BadByte: 0xff},
			"ipc: message is not UTF-8 text (byte 31457280 is 0xff); to send a binary file, share its path\n"},
		{"NUL at 30 MB", &testkit.Text{Size: size, Bad: 30 << 20, BadByte: 0},
			"ipc: message holds a NUL byte at byte 31457280; to send a binary file, share its path\n"},
		{"cut rune at the end", io.MultiReader(&testkit.Text{Size: 1 << 20}, bytes.NewReader([]byte("\xe2\x82"))),
			"ipc: message is not UTF-8 text (byte 1048576 is 0xe2); to send a binary file, share its path\n"},
		{"over the limit", &testkit.Text{Size: spool.MaxMessage + 1},
			"ipc: message on stdin is over 64 MiB: save it to a file and send its path\n"},
		{"blank", bytes.NewReader(bytes.Repeat([]byte(" \n"), 100<<10)),
			"ipc: empty message: give the text as arguments, or '-' to read it from stdin\n"},
	} {
		if r := run(tc.in, "send", "bob", "-"); r.code != ExitUsage || r.err != tc.want {
			t.Errorf("%s: exit %d, stderr %q; want exit 2, %q", tc.name, r.code, r.err, tc.want)
		}
	}
	if got, _ := os.ReadDir(filepath.Join(home, "large")); len(got) != 1 {
		t.Errorf("large/ holds %d files, want the one of the message sent", len(got))
	}
	if r := run(nil, "check", "--as", "bob", "--peek"); r.code != 0 || bytes.Count([]byte(r.out), []byte("Large message")) != 1 {
		t.Errorf("bob's mailbox: exit %d, %q; want the one large message", r.code, r.out)
	}
}

// TestReplyAndBroadcastStreamStdin: a reply and a broadcast read a long
// text on stdin as send does, not whole.
func TestReplyAndBroadcastStreamStdin(t *testing.T) {
	home, run := aliceWithStdin(t)
	if r := run(nil, "send", "--as", "bob", "alice", "hello"); r.code != 0 {
		t.Fatalf("send: exit %d, %s", r.code, r.err)
	}
	r := run(nil, "check", "--json")
	var got []struct{ ID string }
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 {
		t.Fatalf("check --json: %v, %q", err, r.out)
	}
	const size = 40 << 20
	for _, args := range [][]string{{"reply", got[0].ID, "-"}, {"broadcast", "-"}} {
		n := testkit.Allocated(func() { r = run(&testkit.Text{Size: size}, args...) })
		if r.code != 0 {
			t.Fatalf("%s of %d MiB: exit %d, %s", args[0], size>>20, r.code, r.err)
		}
		t.Logf("ipc %s of %d MiB on stdin allocated %d KiB", args[0], size>>20, n>>10)
		if n > 4<<20 {
			t.Errorf("ipc %s of %d MiB on stdin allocated %.1f MiB, want under 4 MiB", args[0], size>>20, float64(n)/(1<<20))
		}
		bad := run(&testkit.Text{Size: size, Bad: 30 << 20, BadByte: 0}, args...)
		if want := "ipc: message holds a NUL byte at byte 31457280; to send a binary file, share its path\n"; bad.code != ExitUsage || bad.err != want {
			t.Errorf("%s with a NUL at 30 MB: exit %d, %q; want 2, %q", args[0], bad.code, bad.err, want)
		}
	}
	if r := run(nil, "check", "--as", "bob", "--peek"); r.code != 0 || strings.Count(r.out, "Large message") != 2 {
		t.Errorf("bob's mailbox: exit %d, %q; want the reply and the broadcast, both large", r.code, r.out)
	}
	if got, _ := os.ReadDir(filepath.Join(home, "large")); len(got) != 2 {
		t.Errorf("large/ holds %d files, want the reply's and the broadcast's", len(got))
	}
}
