package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/internal/testkit"
)

// TestSwappedLinksAreNeverFollowed swaps a symbolic link in for each
// component of bob's mailbox (mail/bob, and its new/, cur/ and tmp/) and
// for outbox/new/, in
// a tight loop, by an atomic exchange (renameat2 RENAME_EXCHANGE: the
// name is always either the real directory or the link), pointing at
// eve's mailbox or at a directory outside the spool, while bob's mail is
// checked, given, counted and listed, mail is sent to bob, the outbox is
// routed to bob (alone, and with carol: the hard-link path), a forward is
// drained into bob and a mailbox is moved into bob's. inotify watches
// eve's mailbox and the outside directory: any open, read, creation,
// rename or removal there is a failure, and so is a message or an entry
// of theirs shown to bob, or a file of theirs gone or added. Everything
// acknowledged to bob must be in bob's mailbox, once.
func TestSwappedLinksAreNeverFollowed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	s := openTest(t, WithConfig(cfg))
	mail := s.MailDir()
	outside := filepath.Join(t.TempDir(), "outside")
	eve := filepath.Join(mail, "eve")
	for _, name := range []string{"bob", "eve", "carol", "fwd", "src"} {
		if _, err := s.EnsureMailbox(name); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.setForward("fwd", "bob", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Their files: bodies and names that bob must never see.
	var theirs []string
	for i, d := range []string{"new", "cur", "tmp"} {
		for _, top := range []string{eve, outside} {
			os.MkdirAll(filepath.Join(top, d), 0o700)
			name := fmt.Sprintf("1700000000.M%dP1Q1Rsecret%07d.there,S=7", i, len(theirs))
			if d == "cur" {
				name += infoSep + "2,"
			}
			p := filepath.Join(top, d, name)
			if err := os.WriteFile(p, []byte("SECRET\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			theirs = append(theirs, p)
		}
	}
	watch := watchTheirs(t, []string{eve, outside}, []string{"new", "cur", "tmp"})

	swaps := []struct{ at, to []string }{
		{[]string{mail, "bob"}, []string{eve, outside}},
		{[]string{filepath.Join(mail, "bob"), "new"}, []string{filepath.Join(eve, "new"), filepath.Join(outside, "new")}},
		{[]string{filepath.Join(mail, "bob"), "cur"}, []string{filepath.Join(eve, "cur"), filepath.Join(outside, "cur")}},
		{[]string{filepath.Join(mail, "bob"), "tmp"}, []string{filepath.Join(eve, "tmp"), filepath.Join(outside, "tmp")}},
		{[]string{s.path(dirOutbox), "new"}, []string{filepath.Join(eve, "new"), filepath.Join(outside, "new")}},
	}
	// The test drops files into the outbox through directories it holds,
	// so that it never writes through the links it swaps in itself.
	obTmp, err := platform.OpenDir(s.path(dirOutbox, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	defer obTmp.Close()
	obNew, err := platform.OpenDir(s.OutboxDir())
	if err != nil {
		t.Fatal(err)
	}
	defer obNew.Close()
	// Probe for RENAME_EXCHANGE where the spool lives.
	probe := filepath.Join(mail, ".probe")
	os.Mkdir(probe, 0o700)
	if err := unix.Renameat2(unix.AT_FDCWD, probe, unix.AT_FDCWD, filepath.Join(mail, "src"), unix.RENAME_EXCHANGE); err != nil {
		testkit.SkipEnv(t, "renameat2(RENAME_EXCHANGE) refused here (%v): the swap cannot be made atomic", err)
	}
	unix.Renameat2(unix.AT_FDCWD, probe, unix.AT_FDCWD, filepath.Join(mail, "src"), unix.RENAME_EXCHANGE)
	os.Remove(probe)

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var nswaps atomic.Int64
	wg.Add(1)
	go func() { // the swapper
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			sw := swaps[i%len(swaps)]
			at := filepath.Join(sw.at...)
			link := filepath.Join(sw.at[0], ".swap-"+sw.at[1])
			if err := os.Symlink(sw.to[(i/len(swaps))%2], link); err != nil {
				t.Error(err)
				return
			}
			if err := unix.Renameat2(unix.AT_FDCWD, at, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE); err != nil {
				t.Error(err)
				return
			}
			for j := 0; j < 3; j++ {
				runtime.Gosched()
			}
			if err := unix.Renameat2(unix.AT_FDCWD, at, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE); err != nil {
				t.Error(err)
				return
			}
			os.Remove(link)
			nswaps.Add(1)
		}
	}()

	var mu sync.Mutex
	var shown []string           // what bob was shown of theirs
	acked := map[string]string{} // message id → how it came
	ack := func(id, how string) { mu.Lock(); acked[id] = how; mu.Unlock() }
	see := func(what string) {
		if strings.Contains(what, "SECRET") || strings.Contains(what, "secret") {
			mu.Lock()
			shown = append(shown, what)
			mu.Unlock()
		}
	}
	bob := mustMailbox(t, s, "bob")
	got := map[string]int{}
	run := func(f func(i int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				f(i)
			}
		}()
	}
	run(func(i int) { // bob's readers
		var ms []*Message
		switch i % 4 {
		case 0:
			ms, _ = bob.Check(CheckOptions{})
		case 1:
			ms, _ = bob.Give(context.Background(), CheckOptions{Limit: 2}, func(*Message) error { return nil })
		case 2:
			peeked, _, _ := bob.Oldest(5, nil) // read, not claimed
			for _, m := range peeked {
				see(m.Body)
			}
			if ents, err := bob.Entries(); err == nil {
				for _, e := range ents {
					see(e.Name)
				}
			}
		case 3:
			bob.Unread()
		}
		for _, m := range ms {
			see(m.Body)
			see(m.Path)
			mu.Lock()
			got[m.ID]++
			mu.Unlock()
		}
	})
	run(func(i int) { // senders
		rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: fmt.Sprint("hello ", i)})
		if err == nil {
			ack(rc.ID, "send")
		}
	})
	run(func(i int) { // the leader's jobs: route, forwards, a move
		id := fmt.Sprintf("%012x", 1<<40+i)
		to := "bob"
		if i%2 == 1 {
			to = "bob, carol"
		}
		f, err := obTmp.Open("drop"+id, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Error(err)
			return
		}
		_, err = f.WriteString(msgText(id, to, "routed"))
		f.Close()
		if err == nil && obTmp.RenameNoReplace("drop"+id, obNew, "drop"+id) == nil {
			if _, err := s.RouteOutbox("drop" + id); err == nil {
				ack(id, "route")
			}
		}
		fid := fmt.Sprintf("%012x", 2<<40+i)
		name := fmt.Sprintf("%d.M1P2Q%dR%s.host,S=1", time.Now().Unix(), i, fid)
		if os.WriteFile(filepath.Join(mail, "fwd", "new", name), []byte(msgText(fid, "fwd", "forwarded")), 0o600) == nil {
			ack(fid, "forward") // delivered to fwd; must end in bob's mailbox or stay in fwd's
		}
		s.ApplyForwards()
		mid := fmt.Sprintf("%012x", 3<<40+i)
		name = fmt.Sprintf("%d.M1P3Q%dR%s.host,S=1", time.Now().Unix(), i, mid)
		if os.WriteFile(filepath.Join(mail, "src", "new", name), []byte(msgText(mid, "src", "moved")), 0o600) == nil {
			ack(mid, "move")
		}
		src := mustMailbox(t, s, "src")
		src.MoveTo(bob)
	})
	wg.Wait()
	if t.Failed() {
		return
	}
	events := watch()

	for _, e := range events {
		t.Errorf("followed a link: %s", e)
	}
	for _, w := range shown {
		t.Errorf("bob was shown what is not his: %q", w)
	}
	for _, p := range theirs {
		if b, err := os.ReadFile(p); err != nil || string(b) != "SECRET\n" {
			t.Errorf("%s: moved or changed (%v)", p, err)
		}
	}
	for _, top := range []string{eve, outside} {
		for _, d := range []string{"new", "cur", "tmp"} {
			ents, _ := os.ReadDir(filepath.Join(top, d))
			for _, e := range ents {
				if p := filepath.Join(top, d, e.Name()); !slices.Contains(theirs, p) {
					t.Errorf("%s: put there through a link", p)
				}
			}
		}
	}
	// Nothing acknowledged lost or doubled: bob's mailbox (and fwd's and
	// src's, for what was left there) holds each once, with what bob read.
	left := map[string]int{}
	for _, name := range []string{"bob", "fwd", "src"} {
		ms, err := mustMailbox(t, s, name).Check(CheckOptions{Peek: true, All: true})
		if err != nil {
			t.Fatalf("%s after the swaps: %v", name, err)
		}
		for _, m := range ms {
			left[m.ID]++
		}
	}
	for id, how := range acked {
		if left[id] != 1 {
			t.Errorf("%s (%s): %d copies after the swaps, want 1", id, how, left[id])
		}
	}
	kinds := map[string]int{}
	for _, how := range acked {
		kinds[how]++
	}
	t.Logf("%d swaps; acknowledged %v; %d given to bob", nswaps.Load(), kinds, len(got))
	if nswaps.Load() == 0 || len(acked) == 0 {
		t.Fatal("no swap or no delivery: the test tested nothing")
	}
}

// watchTheirs watches tops and their subs with inotify for every access;
// the function it returns stops watching and says what happened.
func watchTheirs(t *testing.T, tops, subs []string) func() []string {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		testkit.SkipEnv(t, "inotify: %v", err)
	}
	const mask = unix.IN_OPEN | unix.IN_ACCESS | unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM |
		unix.IN_MOVED_TO | unix.IN_MODIFY | unix.IN_ATTRIB
	dirs := map[int32]string{}
	for _, top := range tops {
		for _, d := range append([]string{""}, subs...) {
			p := filepath.Join(top, d)
			wd, err := unix.InotifyAddWatch(fd, p, mask)
			if err != nil {
				t.Fatal(err)
			}
			dirs[int32(wd)] = p
		}
	}
	return func() []string {
		defer unix.Close(fd)
		var out []string
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(fd, buf)
			if n <= 0 || err != nil {
				if !errors.Is(err, unix.EAGAIN) {
					t.Errorf("inotify read: %v", err)
				}
				return out
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				out = append(out, fmt.Sprintf("%s %q mask %#x", dirs[ev.Wd], name, ev.Mask))
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
}

// TestSwappedLinksNeverReachAnOwnerLock swaps a symbolic link in for
// mail/dan, by the same atomic exchange, pointing at eve's mailbox (eve
// is claimed all along: her owner.lock is locked and her owner.holder
// recorded) or at a directory outside the spool, while dan is registered,
// his presence asked, his claim vouched for and released, and his
// mailbox forgotten, over and over. inotify watches eve's mailbox and the
// outside directory: any open, creation, change, rename or removal there
// (a lock file opened or made, a holder record written or removed, a
// "last seen" time set) is a failure, and so is any file of theirs
// changed, added or gone.
func TestSwappedLinksNeverReachAnOwnerLock(t *testing.T) {
	s := openTest(t)
	mail := s.MailDir()
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	eve := filepath.Join(mail, "eve")
	held, err := s.Claim("eve")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	if _, err := s.EnsureMailbox("dan"); err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for _, top := range []string{eve, outside} {
		ents, _ := os.ReadDir(top)
		for _, e := range ents {
			p := filepath.Join(top, e.Name())
			b, _ := os.ReadFile(p)
			before[p] = string(b)
		}
	}
	if _, ok := before[filepath.Join(eve, "owner.holder")]; !ok {
		t.Fatal("eve's claim recorded no holder")
	}
	watch := watchTheirs(t, []string{eve, outside}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var nswaps, claims, forgets atomic.Int64
	at := filepath.Join(mail, "dan")
	link := filepath.Join(mail, ".swap-dan")
	wg.Add(1)
	go func() { // the swapper
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			if err := os.Symlink([]string{eve, outside}[i%2], link); err != nil {
				t.Error(err)
				return
			}
			if err := unix.Renameat2(unix.AT_FDCWD, at, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE); err != nil {
				os.Remove(link) // dan is forgotten: nothing there to swap
				runtime.Gosched()
				continue
			}
			for j := 0; j < 3; j++ {
				runtime.Gosched()
			}
			// Swap back. forget may have moved the link aside (and may be
			// putting it back): then put dan's directory back in its place.
			for k := 0; ; k++ {
				if unix.Renameat2(unix.AT_FDCWD, at, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE) == nil {
					os.Remove(link)
					break
				}
				if os.Rename(link, at) == nil {
					break
				}
				if k == 1000 {
					t.Error("dan's directory cannot be put back")
					return
				}
				runtime.Gosched()
			}
			nswaps.Add(1)
		}
	}()
	wg.Add(1)
	go func() { // dan, registering and going
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			if o, err := s.Claim("dan"); err == nil {
				claims.Add(1)
				s.Presence("dan")
				s.Vouch("dan")
				o.Release()
			}
			s.Presence("dan")
			s.Vouch("dan")
			if i%4 == 3 {
				if _, err := s.Forget("dan"); err == nil {
					forgets.Add(1)
				}
			}
		}
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, e := range watch() {
		t.Errorf("followed a link: %s", e)
	}
	after := map[string]bool{}
	for _, top := range []string{eve, outside} {
		ents, _ := os.ReadDir(top)
		for _, e := range ents {
			p := filepath.Join(top, e.Name())
			after[p] = true
			b, _ := os.ReadFile(p)
			if was, ok := before[p]; !ok {
				t.Errorf("%s: made through a link", p)
			} else if was != string(b) {
				t.Errorf("%s: changed through a link: %q, was %q", p, b, was)
			}
		}
	}
	for p := range before {
		if !after[p] {
			t.Errorf("%s: removed through a link", p)
		}
	}
	t.Logf("%d swaps; %d claims of dan, %d forgets", nswaps.Load(), claims.Load(), forgets.Load())
	if nswaps.Load() == 0 || claims.Load() == 0 || forgets.Load() == 0 {
		t.Fatal("no swap, claim or forget: the test tested nothing")
	}
}
