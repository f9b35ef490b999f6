package spool

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestFormatParseRoundTrip(t *testing.T) {
	date := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		m    Message
	}{
		{"plain", Message{From: "alice", To: []string{"bob"}, Body: "hi\n"}},
		{"utf-8", Message{From: "alice", To: []string{"bob"}, Subject: "héllo wörld ✓ 日本語", Body: "héllo wörld ✓ 日本語\n"}},
		{"long line", Message{From: "a", To: []string{"b"}, Body: strings.Repeat("x", 3000) + "\n"}},
		{"carriage returns", Message{From: "a", To: []string{"b"}, Body: "dos\r\nline\r\n"}},
		{"many recipients", Message{From: "a", To: []string{"b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"}, Body: "x\n"}},
		{"data", Message{From: "a", To: []string{"b"}, Body: "x\n", Data: json.RawMessage(`{"type":"file","path":"/tmp/ü","n":[1,2,3],"long":"` + strings.Repeat("y", 300) + `"}`)}},
		{"thread", Message{From: "a", To: []string{"b"}, Body: "x\n", InReplyTo: "bbbbbbbbbbbb", References: []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}}},
		{"large", Message{From: "a", To: []string{"b"}, Body: "summary\n", LargeFile: "/spool/large/x y.md", LargeSize: 20480}},
		{"unknown sender", Message{To: []string{"b"}, Body: "x\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.m
			in.ID, in.Date = "0123456789ab", date
			if in.Subject == "" {
				in.Subject = Subject(in.Body)
			}
			raw := in.Format("host.example")
			for i, line := range strings.Split(string(raw), "\n") {
				if len(line) > 998 {
					t.Fatalf("line %d is %d bytes, over RFC 5322's 998", i, len(line))
				}
			}
			if _, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil {
				t.Fatalf("net/mail cannot read it: %v", err)
			}
			out, err := ParseMessage(bytes.NewReader(raw), "key", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			out.Path = ""
			if out.FromHost != "host.example" {
				t.Errorf("FromHost %q, want host.example", out.FromHost)
			}
			out.FromHost = ""
			if out.Provenance != ProvDropIn { // ParseMessage alone believes no header
				t.Errorf("provenance of a parsed message = %q, want %q", out.Provenance, ProvDropIn)
			}
			out.Provenance = ""
			if !equalMessages(&in, out) {
				t.Errorf("round trip:\n in  %+v\n out %+v\nraw:\n%s", in, *out, raw)
			}
		})
	}
}

func equalMessages(a, b *Message) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestParseTolerant(t *testing.T) {
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name, raw, from, subject, body string
	}{
		{"plain text", "build finished\nall green\n", "", "build finished", "build finished\nall green"},
		{"colon in first line", "Note: buy milk\n", "", "Note: buy milk", "Note: buy milk"},
		{"empty", "", "", "", ""},
		{"foreign mail", "From: Zoë <zoe@example.org>\nSubject: =?utf-8?q?caf=C3=A9?=\n\nbody\n", "zoe", "café", "body"},
		{"quoted-printable", "From: x@y\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 =\nau lait\n", "x", "café au lait", "café au lait"},
		{"base64", "From: x@y\nContent-Transfer-Encoding: base64\n\naMOpbGxv\n", "x", "héllo", "héllo"},
		{"multipart", "From: x@y\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=BB\n\n--BB\nContent-Type: text/plain; charset=utf-8\n\nthe text\n--BB\nContent-Type: text/html\n\n<p>the text</p>\n--BB--\n", "x", "the text", "the text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMessage(strings.NewReader(tc.raw), "1700000000.M1P2.host", mtime)
			if err != nil {
				t.Fatal(err)
			}
			if m.From != tc.from || m.Subject != tc.subject || m.Body != tc.body {
				t.Errorf("from %q subject %q body %q", m.From, m.Subject, m.Body)
			}
			if tc.from == "" && (!m.Date.Equal(mtime) || m.ID != "1700000000.M1P2.host") {
				t.Errorf("headerless: date %v id %q, want the file's mtime and key", m.Date, m.ID)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	for in, want := range map[string]string{
		"hello":                 "hello",
		"\n\n  first  \nsecond": "first",
		strings.Repeat("é", 70): strings.Repeat("é", 59) + "…",
		"":                      "",
	} {
		if got := Subject(in); got != want {
			t.Errorf("Subject(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte("From: a@b\nSubject: x\n\nbody"))
	f.Add([]byte("plain text"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\nFrom: a\n\n--x\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = ParseMessage(bytes.NewReader(raw), "k", time.Time{})
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("subject", "body text", `{"a":1}`)
	f.Add("日本語", "line\r\nline", "")
	f.Fuzz(func(t *testing.T, subject, body, data string) {
		if strings.ContainsAny(subject, "\r\n") || data != "" && CheckData([]byte(data)) != nil {
			t.Skip()
		}
		in := Message{ID: "0123456789ab", From: "a", To: []string{"b"}, Date: time.Unix(1e9, 0).UTC(), Subject: strings.TrimSpace(subject), Body: body}
		if data != "" {
			in.Data = bytes.TrimSpace(json.RawMessage(data))
		}
		out, err := ParseMessage(bytes.NewReader(in.Format("h")), "k", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Body != body {
			t.Errorf("body %q, want %q", out.Body, body)
		}
		if in.Subject != "" && out.Subject != in.Subject {
			t.Errorf("subject %q, want %q", out.Subject, in.Subject)
		}
		if string(out.Data) != string(in.Data) {
			t.Errorf("data %s, want %s", out.Data, in.Data)
		}
	})
}
