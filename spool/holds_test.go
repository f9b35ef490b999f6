package spool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFiledID(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"1764583200.M000001P1Q1R0dea075ce1f8.host", "0dea075ce1f8"},
		{"1764583200.M000001P1Q1Rsome_token-1.host.example", "some_token-1"},
		{"1764583200.M000001P1Q1R0dea075ce1f8.host,S=10", "0dea075ce1f8"},
		{"1764583200.M123P456.host", ""},           // Dovecot's
		{"1764583200.M1P2Q3R.host", ""},            // no id
		{"1764583200.M1P2Q3Rid", ""},               // no host
		{"x1764583200.M1P2Q3Rid.host", ""},         // not a time
		{"1764583200.M1P2V3Rid.host", ""},          // not our shape
		{"1764583200.M000001P1Q1Rbad*id.host", ""}, // not a token
	} {
		if got := filedID(tc.key); got != tc.want {
			t.Errorf("filedID(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

// TestHoldsLooksAtNamesOnly finds a delivered message in new/ and, once
// read, in cur/; it does not take a message whose header names the id
// (Find's fallback) for one filed under it.
func TestHoldsLooksAtNamesOnly(t *testing.T) {
	s := openTest(t)
	mb := mustMailbox(t, s, "b")
	d, err := mb.Deliver("tok_1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write([]byte(msgText("aaaaaaaaaaaa", "b", "hello"))); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// A file another program named, whose Message-ID is tok_2.
	if err := os.WriteFile(filepath.Join(mb.Dir, "new", "1764583200.M1P2.other"), []byte(msgText("tok_2", "b", "x")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   string
		want bool
	}{{"tok_1", true}, {"tok", false}, {"tok_2", false}, {"aaaaaaaaaaaa", false}} {
		if got, err := mb.Holds(tc.id); err != nil || got != tc.want {
			t.Errorf("Holds(%q) = %v, %v; want %v", tc.id, got, err, tc.want)
		}
	}
	if _, err := mb.Check(CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := mb.Holds("tok_1"); err != nil || !got {
		t.Errorf("Holds after the message was read (cur/) = %v, %v", got, err)
	}
}
