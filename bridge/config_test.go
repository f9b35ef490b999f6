package bridge

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/spool"
)

func TestConfigFromSpoolAndValidate(t *testing.T) {
	root := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "x.creds")
	os.WriteFile(creds, []byte("x"), 0o600)
	for _, tc := range []struct {
		name, json string
		flags      Config
		want       error // from FromSpool, then Validate
		url        string
	}{
		{"no bridge object, flags", `{}`, Config{URL: "nats://f:4222"}, nil, "nats://f:4222"},
		{"config.json", `{"bridge": {"nats": "tls://c:4222", "host": "box"}}`, Config{}, nil, "tls://c:4222"},
		{"flags win", `{"bridge": {"nats": "nats://c:4222"}}`, Config{URL: "nats://f:4222"}, nil, "nats://f:4222"},
		{"unknown key", `{"bridge": {"nats": "nats://c", "tls": true}}`, Config{}, ErrConfig, ""},
		{"no server", `{}`, Config{}, ErrConfig, ""},
		{"bad host", `{"bridge": {"nats": "nats://c", "host": "a.b"}}`, Config{}, ErrConfig, ""},
		{"creds and nkey", `{}`, Config{URL: "nats://c", Creds: creds, NKey: creds}, ErrConfig, ""},
		{"missing creds file", `{}`, Config{URL: "nats://c", Creds: creds + ".gone"}, ErrConfig, ""},
		{"cert without key", `{}`, Config{URL: "nats://c", TLSCert: creds}, ErrConfig, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(root, "config.json"), []byte(tc.json), 0o600); err != nil {
				t.Fatal(err)
			}
			sp, err := spool.Open(root)
			if err != nil {
				t.Fatal(err)
			}
			c, err := FromSpool(sp)
			if err == nil {
				c = c.Merge(tc.flags).withDefaults()
				err = c.Validate()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err == nil && c.URL != tc.url {
				t.Errorf("URL %q, want %q", c.URL, tc.url)
			}
		})
	}
}

func TestRedactedURL(t *testing.T) {
	c := Config{URL: "nats://u:secret@a:4222, tls://b:4222,nats://tok@c:1"}
	got := c.RedactedURL()
	if strings.Contains(got, "secret") || strings.Contains(got, "tok") || !strings.Contains(got, "tls://b:4222") {
		t.Errorf("RedactedURL = %q", got)
	}
}

func TestSetFromHostAndEnvelope(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"From: alice@long.host.name\nTo: bob@x\n\nFrom: body@stays\n", "From: alice@hosta\nTo: bob@x\n\nFrom: body@stays\n"},
		{"To: bob@x\nFrom: \"Alice\" <alice@h>\n\nhi\n", "To: bob@x\nFrom: \"Alice\" <alice@hosta>\n\nhi\n"},
		{"no headers at all\n", "no headers at all\n"},
		{"From: nobody\n\nbody\r\n", "From: nobody\n\nbody\r\n"},
	} {
		if got := string(setFromHost([]byte(tc.in), "hosta")); got != tc.want {
			t.Errorf("setFromHost(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	to, body, err := splitEnvelope([]byte(spool.EnvelopeHeader + ": bob@hostb\nFrom: a@h\n\nx\n"))
	if err != nil || to != "bob@hostb" || string(body) != "From: a@h\n\nx\n" {
		t.Errorf("splitEnvelope = %q, %q, %v", to, body, err)
	}
	if _, _, err := splitEnvelope([]byte("From: a@h\n\nx\n")); err == nil {
		t.Error("a file without an envelope was accepted")
	}
}
