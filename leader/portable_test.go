package leader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

// TestPortableSuite is what must hold on every system ipc is built for;
// `make test-windows` runs it under Wine as well as here. It makes its
// spool with os.MkdirTemp, not t.TempDir: Go's RemoveAll fails under Wine 8
// ("unlinkat … Invalid function"), and that is no fault of ipc's.
func TestPortableSuite(t *testing.T) {
	base, err := os.MkdirTemp("", "ipc-portable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) }) // may fail under Wine: see above
	root := filepath.Join(base, "spool")
	sp := open(t, root)

	// the file system: what delivery needs is there (by its kind or a probe).
	if f := sp.FileSystem(); !f.Links || !f.NoReplace {
		t.Fatalf("file system %+v: no hard links or no-replace rename", f)
	} else {
		t.Logf("file system: %+v", f)
	}

	// register: a name held by a live holder is refused to another.
	bob, err := sp.Claim("bob")
	if err != nil {
		t.Fatalf("register bob: %v", err)
	}
	defer bob.Release()
	other := open(t, root)
	if o, err := other.Claim("bob"); !errors.Is(err, spool.ErrNameTaken) {
		o.Release()
		t.Fatalf("second register of a held name = %v, want ErrNameTaken", err)
	}

	// wait, woken by a send: a follower of bob sees the message arrive.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fol, err := follow.New(ctx, sp, follow.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fol.Close()
	fd := fol.Open()
	defer fd.Close()
	if err := fd.Follow("bob"); err != nil {
		t.Fatal(err)
	}
	text := "grüße, 你好, 🙂 — UTF-8 both ways"
	if _, err := other.Send(spool.Draft{From: "alice", To: []string{"bob"}, Body: text}); err != nil {
		t.Fatalf("send: %v", err)
	}
	select {
	case ev := <-fd.Events():
		if ev.Err != nil || ev.Message == nil || strings.TrimSpace(ev.Message.Body) != text {
			t.Fatalf("woken with %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a send did not wake the follower")
	}

	// the leader routes outbox/ drop-ins.
	r := start(t, sp, Options{})
	r.leads(t)
	drop(t, sp, "dropped", "bob")
	until(t, "the leader to route outbox/", func() bool { return unread(t, sp, "bob") == 2 })

	// check: both, whole, and the names they are read under hold no ':'.
	mb, err := sp.Mailbox("bob")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := mb.Check(spool.CheckOptions{})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("check: %d messages, %v; want 2", len(msgs), err)
	}
	// Which comes first is not asked: the routed drop-in is named by its
	// file's modification time, which the kernel takes from a clock that
	// ticks every few milliseconds, so it may sort before the send made a
	// moment earlier.
	bodies := []string{strings.TrimSpace(msgs[0].Body), strings.TrimSpace(msgs[1].Body)}
	if !slices.Contains(bodies, text) || !slices.Contains(bodies, "hi") {
		t.Errorf("check: bodies %q, want %q and the drop-in's", bodies, text)
	}
	ents, _ := os.ReadDir(filepath.Join(mb.Dir, "cur"))
	for _, e := range ents {
		if sep := map[bool]string{true: "!", false: ":"}[os.PathSeparator == '\\']; !strings.Contains(e.Name(), sep+"2,S") {
			t.Errorf("read mail named %q, want its info after %q", e.Name(), sep)
		}
	}
}
