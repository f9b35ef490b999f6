package spool

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fuzz targets of the spool; their seed corpora are in
// testdata/fuzz/. "make fuzz" runs each for a bounded time.

// FuzzUniqueName: any file name in new/ or cur/ gives a key, flags and a
// time without panicking, and the names the spool makes give back their id.
func FuzzUniqueName(f *testing.F) {
	f.Add("1764600000.M123456P42Q7R0123456789ab.host,S=120:2,S", "0123456789ab")
	f.Add("plain-name", "ffffffffffff")
	f.Add("R0123456789ab.", "000000000000")
	f.Fuzz(func(t *testing.T, name, id string) {
		e := entry{dir: "cur", name: name}
		_ = e.key() + e.info()
		_ = e.flags().Unread()
		_, _ = timeFromKey(e.key())
		if got := idFromKey(e.key()); got != "" && (len(got) != 12 || !isHex(got)) {
			t.Fatalf("idFromKey(%q) = %q, not an id", e.key(), got)
		}
		if len(id) != 12 || !isHex(id) {
			return
		}
		s := &Spool{clock: time.Now, pid: 7, host: "h"}
		if got := idFromKey(s.uniqueName(id)); got != id {
			t.Fatalf("idFromKey(uniqueName(%q)) = %q", id, got)
		}
	})
}

// FuzzForward: any content of forwards/NAME files resolves to a valid name
// in a bounded number of hops, never panics.
func FuzzForward(f *testing.F) {
	f.Add(`{"to":"bob","until":"2999-01-01T00:00:00Z"}`, `{"to":"alice","until":"2999-01-01T00:00:00Z"}`)
	f.Add(`{"to":"../x","until":"2999-01-01T00:00:00Z"}`, `not json`)
	f.Add(`{"to":"b","until":"1999-01-01T00:00:00Z"}`, `{}`)
	s, err := Open(filepath.Join(f.TempDir(), "spool"), WithConfig(DefaultConfig()))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for name, content := range map[string]string{"alice": a, "bob": b} {
			if err := os.WriteFile(filepath.Join(s.Root, "forwards", name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range []string{"alice", "bob", "carol"} {
			if r := s.Resolve(n); ValidName(r) != nil {
				t.Fatalf("Resolve(%q) = %q, not a name", n, r)
			}
		}
		if _, err := s.Forwards(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzData: CheckData never panics; what it accepts is one JSON object
// and arrives byte for byte.
func FuzzData(f *testing.F) {
	for _, s := range []string{`{}`, `{"order_id":9007199254740993}`, `{"e":1e400}`, `[1]`, `{"a":{"b":[1,2,{"c":null}]}}`, `{"a":1}{}`, "{\"\xff\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if CheckData(data) != nil {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil && !strings.Contains(err.Error(), "number") {
			t.Fatalf("CheckData accepted %q, which is not a JSON object: %v", data, err)
		}
		m := Message{ID: "0123456789ab", From: "a", To: []string{"b"}, Date: time.Unix(1e9, 0), Body: "x", Data: bytes.TrimSpace(data)}
		out, err := ParseMessage(bytes.NewReader(m.Format("h")), "k", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Data, m.Data) {
			t.Fatalf("data %q arrived as %q", m.Data, out.Data)
		}
	})
}
