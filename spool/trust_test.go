package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// signedSpool opens a spool whose messages are signed with a secret.
func signedSpool(t *testing.T) *Spool {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Secret = "s3cret"
	return openTest(t, WithConfig(cfg))
}

// copyFile copies src to dst as a writer without the secret would.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkQuarantines checks mb and wants the bodies want and, when why is
// not "", a quarantine whose reason holds why.
func checkQuarantines(t *testing.T, mb *Mailbox, want, why string) {
	t.Helper()
	msgs, err := mb.Check(CheckOptions{})
	if got := bodies(msgs); got != want {
		t.Errorf("%s got %q, want %q", mb.Name, got, want)
	}
	var q *QuarantineError
	switch {
	case why == "" && err != nil:
		t.Errorf("%s: unexpected error %v", mb.Name, err)
	case why != "" && (!errors.As(err, &q) || !strings.Contains(err.Error(), why)):
		t.Errorf("%s: error %v, want a quarantine saying %q", mb.Name, err, why)
	}
}

// A signed message copied into a mailbox that is not among its recipients
// is not genuine there, even under a name that sorts first.
func TestSecretBindsRecipient(t *testing.T) {
	s := signedSpool(t)
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "for bob only"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(Draft{From: "alice", To: []string{"carol"}, Body: "for carol"}); err != nil {
		t.Fatal(err)
	}
	carol := mustMailbox(t, s, "carol")
	copyFile(t, rc.Delivered[0].Path, filepath.Join(carol.Dir, "new", "0.copy"))
	checkQuarantines(t, carol, "for carol", "not for this mailbox")
	checkQuarantines(t, mustMailbox(t, s, "bob"), "for bob only", "")
	// A rename record written without the secret does not make it carol's.
	if err := os.MkdirAll(filepath.Join(s.Root, "state", "renamed"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.renamePath("bob"), []byte("bob was renamed to carol\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	copyFile(t, strings.Replace(rc.Delivered[0].Path, "/new/", "/cur/", 1)+":2,S", filepath.Join(carol.Dir, "new", "1.copy"))
	checkQuarantines(t, carol, "", "not for this mailbox")
}

// Mail for a name that was renamed stays genuine in the new mailbox: moved
// at the rename, or forwarded after it.
func TestSecretAllowsRenames(t *testing.T) {
	s := signedSpool(t)
	bob, err := s.Claim("bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "before"}); err != nil {
		t.Fatal(err)
	}
	robert, err := s.Rename(bob, "robert")
	if err != nil {
		t.Fatal(err)
	}
	defer robert.Release()
	if _, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "after"}); err != nil {
		t.Fatal(err)
	}
	checkQuarantines(t, mustMailbox(t, s, "robert"), "before,after", "")
}

// A signed message replayed into the mailbox that holds it is shown once:
// after it was read, and while it is still unread.
func TestSecretRefusesReplay(t *testing.T) {
	s := signedSpool(t)
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "pay 10"})
	if err != nil {
		t.Fatal(err)
	}
	bob := mustMailbox(t, s, "bob")
	orig := rc.Delivered[0].Path
	copyFile(t, orig, filepath.Join(bob.Dir, "new", "0.replay")) // unread original beside it
	copyFile(t, orig, filepath.Join(bob.Dir, "new", filepath.Base(orig)+"x"))
	checkQuarantines(t, bob, "pay 10", "a replay")
	read, _ := filepath.Glob(filepath.Join(bob.Dir, "cur", "*"))
	if len(read) != 1 {
		t.Fatalf("cur/ holds %v, want the one original", read)
	}
	copyFile(t, read[0], filepath.Join(bob.Dir, "new", "1.replay")) // after it was read
	checkQuarantines(t, bob, "", "a replay")
	if msgs, err := bob.Check(CheckOptions{All: true}); bodies(msgs) != "pay 10" || err != nil {
		t.Errorf("check --all after the replays: %q, %v", bodies(msgs), err)
	}
}

// The full text of a large message is covered: an edit that keeps its
// size is caught.
func TestSecretCoversLargeBody(t *testing.T) {
	s := signedSpool(t)
	body := strings.Repeat("transfer 100 to alice\n", 2000)
	rc, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: body})
	if err != nil || rc.LargeFile == "" {
		t.Fatalf("send: %+v %v, want a large message", rc, err)
	}
	b, err := os.ReadFile(rc.LargeFile)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "transfer 100 to alice", "transfer 900 to mallo", 1)
	if len(edited) != len(b) {
		t.Fatal("the edit must keep the size")
	}
	if err := os.WriteFile(rc.LargeFile, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	checkQuarantines(t, mustMailbox(t, s, "bob"), "", "not the one that was signed")

	rc, err = s.Send(Draft{From: "alice", To: []string{"bob"}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := mustMailbox(t, s, "bob").Check(CheckOptions{})
	if len(msgs) != 1 || err != nil || msgs[0].LargeSHA256 == "" {
		t.Errorf("untouched large message: %d, %v", len(msgs), err)
	}
}
