package spool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A mailbox whose directory or new/, cur/, tmp/ is a symbolic link is
// refused by readers and senders: nothing of the link's target is read,
// claimed or written.
func TestSymlinkedMailboxRefused(t *testing.T) {
	for _, part := range []string{"", "new", "cur", "tmp"} {
		t.Run("mail/carol/"+part, func(t *testing.T) {
			s := openTest(t)
			if _, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "for bob"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Send(Draft{From: "alice", To: []string{"carol"}, Body: "for carol"}); err != nil {
				t.Fatal(err)
			}
			carol := mustMailbox(t, s, "carol")
			link := filepath.Join(carol.Dir, part)
			target := filepath.Join(s.Root, "mail", "bob", part)
			if err := os.RemoveAll(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			if msgs, err := carol.Check(CheckOptions{}); !errors.Is(err, ErrUnsafe) || len(msgs) != 0 {
				t.Errorf("check through a link: %d messages, %v; want ErrUnsafe", len(msgs), err)
			}
			if _, err := carol.Unread(); !errors.Is(err, ErrUnsafe) {
				t.Errorf("unread count through a link: %v", err)
			}
			if _, err := s.Send(Draft{From: "alice", To: []string{"carol"}, Body: "more"}); !errors.Is(err, ErrUnsafe) && !errors.Is(err, ErrUnavailable) {
				t.Errorf("send through a link: %v, want a refusal", err)
			}
			bob := mustMailbox(t, s, "bob")
			if n, err := bob.Unread(); err != nil || n != 1 {
				t.Errorf("bob's mailbox after the attempts: %d unread, %v; want his 1 untouched", n, err)
			}
		})
	}
}
