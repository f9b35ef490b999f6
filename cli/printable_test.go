package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/claude-ipc/ipc/spool"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"tab\tand\nnewline", "tab\tand\nnewline"},
		{"héllo → 世界 📬", "héllo → 世界 📬"},
		{"\x1b[2J\x1b[31mred", "^[[2J^[[31mred"},
		{"bell\a", "bell^G"},
		{"over\rwrite", "over^Mwrite"},
		{"crlf\r\nline\r\n", "crlf\nline\n"},
		{"nul\x00", "nul^@"},
		{"del\x7f", "del^?"},
		{"csi \u009b31m", "csi M-^[31m"},
		{"osc \u009d0;title\u009c", "osc M-^]0;titleM-^\\"},
		{"raw byte \x9b31m", "raw byte \ufffd31m"},
		{"cut \xe2\x82", "cut \ufffd\ufffd"},
		{"invoice_\u202egpj.exe", "invoice_<U+202E>gpj.exe"},
		{"\u2066iso\u2069 \u200fmark\u061c", "<U+2066>iso<U+2069> <U+200F>mark<U+061C>"},
		{"zero\u200bwidth stays", "zero\u200bwidth stays"},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if isPrintable(tt.in) != (tt.in == tt.want) {
			t.Errorf("isPrintable(%q) = %v", tt.in, isPrintable(tt.in))
		}
	}
}

// hasControl reports a byte or character a terminal would act on.
func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) || isBidi(r) {
			return true
		}
	}
	return !utf8.ValidString(s)
}

// TestPrintMessagesEscapes checks that nothing a sender controls reaches the
// terminal as a control sequence, with colour on or off.
func TestPrintMessagesEscapes(t *testing.T) {
	now := time.Now()
	evil := "\x1b]0;pwned\a\x1b[2J\r\u009b31m\x7f\xff\u202e"
	m := &spool.Message{ID: "key\x1b[1m", From: "mal\x1b[8mlory", Date: now, Subject: "subj" + evil,
		Body: "body " + evil + "\nline two\n", InReplyTo: "x\x1b[0m", Data: json.RawMessage(`{"k":"v\u001b[31m` + "\u009b" + `"}`),
		LargeFile: "/s/large/\x1b[5mf.md", LargeSize: 1}
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		printMessagesAt(&b, []*spool.Message{m}, color, now)
		out := b.String()
		if color { // our own colours are the only escapes left
			for _, code := range []string{"1", "2", "33", "36", "0"} {
				out = strings.ReplaceAll(out, "\x1b["+code+"m", "")
			}
		}
		if hasControl(out) {
			t.Errorf("colour %v: control characters printed: %q", color, b.String())
		}
		for _, s := range []string{"^[]0;pwned^G^[[2J^MM-^[31m^?\ufffd", "mal^[[8mlory", "    line two"} {
			if !strings.Contains(out, s) {
				t.Errorf("colour %v: output lacks %q: %q", color, s, out)
			}
		}
	}
}

func TestPrintBroadcast(t *testing.T) {
	d := func(n string, queued bool) spool.Delivered { return spool.Delivered{To: n, Mailbox: n, Queued: queued} }
	tests := []struct {
		name string
		rc   spool.Receipt
		want string
	}{
		{"sent and queued", spool.Receipt{ID: "abc", Delivered: []spool.Delivered{d("a", false), d("b", false), d("c", true)}},
			"sent to 2 mailboxes, queued for 1 not yet registered (id abc)\n"},
		{"one", spool.Receipt{ID: "abc", Delivered: []spool.Delivered{d("a", false)}}, "sent to 1 mailbox (id abc)\n"},
		{"only queued", spool.Receipt{ID: "abc", Delivered: []spool.Delivered{d("a", true), d("b", true)}},
			"queued for 2 not yet registered (id abc)\n"},
		{"large", spool.Receipt{ID: "abc", LargeFile: "/s/large/f.md", Delivered: []spool.Delivered{d("a", false)}},
			"sent to 1 mailbox (id abc)\nlarge message: the full text is saved in /s/large/f.md\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		printBroadcast(&b, tt.rc)
		if b.String() != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, b.String(), tt.want)
		}
	}
}
