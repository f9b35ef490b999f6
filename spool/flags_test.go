package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		f          Flags
		with, wout Flags
		unread     bool
	}{
		{"", "S", "", true},
		{"F", "FS", "F", true},
		{"RT", "RST", "RT", true},
		{"S", "S", "", false},
		{"FS", "FS", "F", false},
	} {
		if got := tc.f.With(FlagSeen); got != tc.with {
			t.Errorf("%q.With(S) = %q, want %q", tc.f, got, tc.with)
		}
		if got := tc.f.Without(FlagSeen); got != tc.wout {
			t.Errorf("%q.Without(S) = %q, want %q", tc.f, got, tc.wout)
		}
		if got := tc.f.Unread(); got != tc.unread {
			t.Errorf("%q.Unread() = %v, want %v", tc.f, got, tc.unread)
		}
	}
}

// placeMessage writes a message of ours with id into mailbox b as
// sub/KEY+info, the way a mail client leaves it, and returns its key.
func placeMessage(t *testing.T, s *Spool, sub, id, info string) string {
	t.Helper()
	mb, _, err := s.ensureMailbox("b")
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("1764583200.M000001P1Q1R%s.host,S=10", id)
	if err := os.WriteFile(filepath.Join(mb.Dir, sub, key+info), []byte(msgText(id, "b", "text of "+id)), 0o600); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestUnreadMeansNoSeenFlag places files as Dovecot, mutt and mblaze
// leave them and checks that exactly those without S are unread, and that
// reading adds S to the flags each already had.
func TestUnreadMeansNoSeenFlag(t *testing.T) {
	cases := []struct {
		sub, info string
		unread    bool
		after     string // the file name's info once checked
	}{
		{"new", "", true, ":2,S"},
		{"cur", ":2,", true, ":2,S"},
		{"cur", ":2,F", true, ":2,FS"},
		{"cur", ":2,RT", true, ":2,RST"},
		{"cur", "", true, ":2,S"}, // no info at all: not seen
		{"cur", ":2,S", false, ":2,S"},
		{"cur", ":2,FS", false, ":2,FS"},
	}
	s := openTest(t)
	var want []string
	keys := map[string]int{}
	for i, tc := range cases {
		id := fmt.Sprintf("%012x", 0xa0+i)
		keys[placeMessage(t, s, tc.sub, id, tc.info)] = i
		if tc.unread {
			want = append(want, id)
		}
	}
	mb := mustMailbox(t, s, "b")
	if n, err := mb.Unread(); err != nil || n != len(want) {
		t.Fatalf("Unread = %d, %v; want %d", n, err, len(want))
	}
	if g, err := mb.Glance(10, s.Now()); err != nil || g.Unread != len(want) {
		t.Fatalf("Glance.Unread = %d, %v; want %d", g.Unread, err, len(want))
	}
	peek, err := mb.Check(CheckOptions{Peek: true})
	if err != nil || !slices.Equal(sortedIDs(peek), want) {
		t.Fatalf("Check(Peek) = %v, %v; want %v", ids(peek), err, want)
	}
	got, err := mb.Check(CheckOptions{})
	if err != nil || !slices.Equal(sortedIDs(got), want) {
		t.Fatalf("Check = %v, %v; want %v", ids(got), err, want)
	}
	for _, m := range got {
		if !m.Flags.Has(FlagSeen) || filepath.Base(filepath.Dir(m.Path)) != "cur" {
			t.Errorf("%s read but at %s with flags %q", m.ID, m.Path, m.Flags)
		}
	}
	if left := files(t, mb.NewDir()); len(left) != 0 {
		t.Errorf("new/ still holds %v", left)
	}
	for _, name := range files(t, mb.CurDir()) {
		e := entry{dir: "cur", name: name}
		i, ok := keys[e.key()]
		if !ok {
			t.Errorf("unexpected file cur/%s", name)
			continue
		}
		if e.info() != cases[i].after {
			t.Errorf("%s/%s%s is cur/%s after check, want info %q", cases[i].sub, e.key(), cases[i].info, name, cases[i].after)
		}
		delete(keys, e.key())
	}
	if len(keys) != 0 {
		t.Errorf("messages gone after check: %v", keys)
	}
	if n, _ := mb.Unread(); n != 0 {
		t.Errorf("Unread = %d after check, want 0", n)
	}
}

func sortedIDs(ms []*Message) []string { return slices.Sorted(slices.Values(ids(ms))) }

func ids(ms []*Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// TestClearingSeenMakesUnread is a person marking a read message unread in
// a mail client: the S flag goes, and the agent sees the message again.
func TestClearingSeenMakesUnread(t *testing.T) {
	s := openTest(t)
	rc, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "again"})
	if err != nil {
		t.Fatal(err)
	}
	mb := mustMailbox(t, s, "b")
	got, err := mb.Check(CheckOptions{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Check = %v, %v", got, err)
	}
	if err := mb.SetFlag(got[0], FlagFlagged); err != nil {
		t.Fatal(err)
	}
	unseen := strings.TrimSuffix(got[0].Path, ":2,FS") + ":2,F"
	if err := os.Rename(got[0].Path, unseen); err != nil {
		t.Fatal(err)
	}
	if n, _ := mb.Unread(); n != 1 {
		t.Fatalf("Unread = %d after S was cleared, want 1", n)
	}
	again, err := mb.Check(CheckOptions{})
	if err != nil || len(again) != 1 || again[0].ID != rc.ID {
		t.Fatalf("Check after S cleared = %v, %v", ids(again), err)
	}
	if !strings.HasSuffix(again[0].Path, ":2,FS") {
		t.Errorf("read again at %s, want the F flag kept and S added", again[0].Path)
	}
}

// TestRacingReadersClaimEachOnce races four readers over mail in new/ and
// mail a client left unseen in cur/: every message goes to exactly one.
func TestRacingReadersClaimEachOnce(t *testing.T) {
	s := openTest(t)
	const n = 120
	for i := 0; i < n; i++ {
		sub, info := "new", ""
		switch i % 3 {
		case 1:
			sub, info = "cur", ":2,"
		case 2:
			sub, info = "cur", ":2,F"
		}
		placeMessage(t, s, sub, fmt.Sprintf("%012x", 0x1000+i), info)
	}
	claimRacing(t, s.Root, "b", n, 5)
	if got := len(files(t, mustMailbox(t, s, "b").CurDir())); got != n {
		t.Errorf("cur/ holds %d files, want %d", got, n)
	}
}

// TestUnclaimPutsBack hands back what a reader could not show: from new/
// to new/, from cur/ to cur/ without S and with its other flags.
func TestUnclaimPutsBack(t *testing.T) {
	s := openTest(t)
	k1 := placeMessage(t, s, "new", "0000000000b1", "")
	k2 := placeMessage(t, s, "cur", "0000000000b2", ":2,F")
	mb := mustMailbox(t, s, "b")
	got, err := mb.Check(CheckOptions{})
	if err != nil || len(got) != 2 {
		t.Fatalf("Check = %v, %v", ids(got), err)
	}
	if err := mb.Unclaim(got); err != nil {
		t.Fatal(err)
	}
	if f := files(t, mb.NewDir()); !slices.Equal(f, []string{k1}) {
		t.Errorf("new/ = %v, want [%s]", f, k1)
	}
	if f := files(t, mb.CurDir()); !slices.Equal(f, []string{k2 + ":2,F"}) {
		t.Errorf("cur/ = %v, want [%s:2,F]", f, k2)
	}
	if n, _ := mb.Unread(); n != 2 {
		t.Errorf("Unread = %d after Unclaim, want 2", n)
	}
}

// claimCrashFS fails every rename and directory fsync from the n-th on, as
// a reader killed at that instant would leave the mailbox.
type claimCrashFS struct {
	FS
	n, ops int
}

func (c *claimCrashFS) step() error {
	c.ops++
	if c.ops >= c.n {
		return fmt.Errorf("crash at op %d", c.ops)
	}
	return nil
}

func (c *claimCrashFS) RenameNoReplace(a, b string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.FS.RenameNoReplace(a, b)
}

func (c *claimCrashFS) SyncDir(dir string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.FS.SyncDir(dir)
}

// TestCheckCrashAnywhere stops a reader at every step of reading mail in
// new/ and in cur/: afterwards each message is still there exactly once,
// either unread as it was or seen with its flags kept, and a fresh reader
// gets exactly the ones not yet seen.
func TestCheckCrashAnywhere(t *testing.T) {
	for n := 1; ; n++ {
		s := openTest(t)
		keys := map[string]string{
			placeMessage(t, s, "new", "0000000000c1", ""):     "",
			placeMessage(t, s, "cur", "0000000000c2", ":2,"):  "",
			placeMessage(t, s, "cur", "0000000000c3", ":2,F"): "F",
		}
		c := &claimCrashFS{FS: OS, n: n}
		crashing, err := Open(s.Root, WithConfig(DefaultConfig()), WithFS(c))
		if err != nil {
			t.Fatal(err)
		}
		_, err = mustMailbox(t, crashing, "b").Check(CheckOptions{})
		if err == nil {
			t.Logf("cut at each of %d steps", n-1)
			return
		}
		mb := mustMailbox(t, s, "b")
		unread := 0
		for _, sub := range []string{"new", "cur"} {
			for _, name := range files(t, filepath.Join(mb.Dir, sub)) {
				e := entry{dir: sub, name: name}
				flags, ok := keys[e.key()]
				if !ok {
					t.Fatalf("crash at %d: %s/%s is not a message placed, or is there twice", n, sub, name)
				}
				delete(keys, e.key())
				if got := e.flags().Without(FlagSeen); e.dir == "cur" && got != Flags(flags) {
					t.Errorf("crash at %d: %s has flags %q, want %q plus at most S", n, name, e.flags(), flags)
				}
				if e.unread() {
					unread++
				}
			}
		}
		if len(keys) != 0 {
			t.Fatalf("crash at %d: lost %v", n, keys)
		}
		got, err := mb.Check(CheckOptions{})
		if err != nil || len(got) != unread {
			t.Errorf("crash at %d: fresh Check = %d messages, %v; want %d", n, len(got), err, unread)
		}
		if n > 20 {
			t.Fatal("Check never finished")
		}
	}
}

// TestGiveClaimsOnlyWhatWasGiven: Give marks read what give accepted, in
// order, and leaves the rest unread when give fails.
func TestGiveClaimsOnlyWhatWasGiven(t *testing.T) {
	s := openTest(t)
	for i := range 5 {
		placeMessage(t, s, "new", fmt.Sprintf("%012x", 0xd00+i), "")
	}
	mb := mustMailbox(t, s, "b")
	broken := errors.New("output closed")
	var handed []string
	given, err := mb.Give(context.Background(), CheckOptions{}, func(m *Message) error {
		if len(handed) == 2 {
			return broken
		}
		handed = append(handed, m.ID)
		return nil
	})
	if !errors.Is(err, broken) || !slices.Equal(ids(given), handed) || len(given) != 2 {
		t.Fatalf("Give = %v, %v; handed %v", ids(given), err, handed)
	}
	if n, _ := mb.Unread(); n != 3 {
		t.Errorf("Unread = %d after two were given, want 3", n)
	}
	for _, m := range given {
		if !m.Flags.Has(FlagSeen) {
			t.Errorf("%s given but flags %q", m.ID, m.Flags)
		}
	}
}

// TestGiveClaimsWhatAMailClientMoved: a message a mail client moves to
// cur/ unread (as Dovecot and mutt do with what they list) while Give is
// giving it is claimed there: given once, and read after, not unread to
// be given again.
func TestGiveClaimsWhatAMailClientMoved(t *testing.T) {
	s := openTest(t)
	for i := range 2 {
		placeMessage(t, s, "new", fmt.Sprintf("%012x", 0xf00+i), "")
	}
	mb := mustMailbox(t, s, "b")
	given, err := mb.Give(context.Background(), CheckOptions{}, func(m *Message) error {
		name := entryAt(m.Path).key()
		return os.Rename(filepath.Join(mb.NewDir(), name), filepath.Join(mb.CurDir(), name+flagInfo("")))
	})
	if err != nil || len(given) != 2 {
		t.Fatalf("Give = %v, %v", ids(given), err)
	}
	for _, m := range given {
		if !m.Flags.Has(FlagSeen) || !strings.HasPrefix(m.Path, mb.CurDir()) {
			t.Errorf("%s given but at %s, flags %q", m.ID, m.Path, m.Flags)
		}
	}
	if n, _ := mb.Unread(); n != 0 {
		t.Errorf("Unread = %d after both were given, want 0", n)
	}
}

// TestGiveExcludesOtherReaders: a Check while Give is giving waits for it,
// so no message is given by both.
func TestGiveExcludesOtherReaders(t *testing.T) {
	s := openTest(t)
	for i := range 3 {
		placeMessage(t, s, "new", fmt.Sprintf("%012x", 0xe00+i), "")
	}
	mb := mustMailbox(t, s, "b")
	other := make(chan []*Message, 1)
	var started bool
	given, err := mb.Give(context.Background(), CheckOptions{}, func(m *Message) error {
		if !started {
			started = true
			go func() {
				s2, _ := Open(s.Root, WithConfig(DefaultConfig()))
				msgs, _ := mustMailbox(t, s2, "b").Check(CheckOptions{})
				other <- msgs
			}()
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	})
	if err != nil || len(given) != 3 {
		t.Fatalf("Give = %v, %v", ids(given), err)
	}
	if got := <-other; len(got) != 0 {
		t.Errorf("a concurrent Check also got %v", ids(got))
	}
}

// TestFindAnyID: reply finds a message by any id check shows, for mail
// ipc wrote and for mail other programs delivered under their own names.
func TestFindAnyID(t *testing.T) {
	s := openTest(t)
	rc, err := s.Send(Draft{From: "a", To: []string{"b"}, Body: "ours"})
	if err != nil {
		t.Fatal(err)
	}
	mb := mustMailbox(t, s, "b")
	drop := func(sub, name, msgID string) {
		text := "From: Person <person@example.com>\nTo: b@h\nSubject: from outside\n"
		if msgID != "" {
			text += "Message-ID: " + msgID + "\n"
		}
		if err := os.WriteFile(filepath.Join(mb.Dir, sub, name), []byte(text+"\nhello\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	drop("new", "1764600000.4242_1.mx", "<CAF+x.y@mail.example.com>")
	drop("cur", "1764600001.4243_1.mx:2,S", "<abcd1@example.com>")
	drop("cur", "1764600002.4244_1.mx:2,", "<abcd2@example.com>")
	drop("new", "x2", "")
	shown := map[string]bool{}
	all, _ := mb.Check(CheckOptions{Peek: true, All: true})
	for _, m := range all {
		shown[m.ID] = true
	}
	for _, id := range []string{rc.ID, "CAF+x.y@mail.example.com", "abcd1@example.com", "x2"} {
		if !shown[id] {
			t.Fatalf("check does not show id %q (shows %v)", id, shown)
		}
	}
	for _, tc := range []struct {
		id, want string // want: the ID of the message found; "" for an error
		err      error
	}{
		{rc.ID, rc.ID, nil},
		{rc.ID[:5], rc.ID, nil},
		{"<" + rc.ID + "@host>", rc.ID, nil},
		{"CAF+x.y@mail.example.com", "CAF+x.y@mail.example.com", nil},
		{"<CAF+x.y@mail.example.com>", "CAF+x.y@mail.example.com", nil},
		{" CAF+x ", "CAF+x.y@mail.example.com", nil},
		{"1764600000.4242_1.mx", "CAF+x.y@mail.example.com", nil}, // its key
		{"abcd1@example.com", "abcd1@example.com", nil},           // read already, in cur/
		{"abcd2", "abcd2@example.com", nil},
		{"abcd", "", ErrNotFound}, // two match
		{"x2", "x2", nil},
		{"nope@example.com", "", ErrNotFound},
		{"ab", "", ErrBadID},
	} {
		m, err := mb.Find(tc.id)
		switch {
		case tc.err != nil && !errors.Is(err, tc.err):
			t.Errorf("Find(%q) = %v, want %v", tc.id, err, tc.err)
		case tc.err == nil && (err != nil || m.ID != tc.want):
			t.Errorf("Find(%q) = %v, %v; want %s", tc.id, m, err, tc.want)
		}
	}
	// And a reply to a message delivered by another program goes to its
	// sender, in its thread.
	if _, err := s.Reply("b", "CAF+x.y@mail.example.com", "answer", nil); err != nil {
		t.Fatalf("Reply: %v", err)
	}
	back, err := mustMailbox(t, s, "person").Check(CheckOptions{})
	if err != nil || len(back) != 1 || back[0].InReplyTo != "CAF+x.y@mail.example.com" {
		t.Fatalf("person's mailbox after the reply: %v, %v", back, err)
	}
}
