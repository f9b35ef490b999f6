package spool

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Data travels byte for byte: numbers beyond float64's exact integers,
// key order and spacing are the sender's, not a re-encoding's.
func TestDataByteForByte(t *testing.T) {
	for _, data := range []string{
		`{"order_id":9007199254740993}`,
		`{"z":1,"a":2,"m":{"y":[1,2.50,3e2],"b":null}}`,
		`{"text":"<b>&amp;</b> \u00e9 é","big":123456789012345678901234567890}`,
		`{ "spaced" : true }`,
	} {
		s := openTest(t)
		if _, err := s.Send(Draft{From: "alice", To: []string{"bob"}, Body: "x", Data: json.RawMessage(data)}); err != nil {
			t.Fatalf("send %s: %v", data, err)
		}
		mb, _ := s.Mailbox("bob")
		msgs, err := mb.Check(CheckOptions{})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("check: %d, %v", len(msgs), err)
		}
		if got := string(msgs[0].Data); got != data {
			t.Errorf("data %s arrived as %s", data, got)
		}
	}
}

// Each refusal says its real reason.
func TestCheckDataReasons(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{`{"e":1e400}`, "out of the range"},
		{`{"e":-1e999}`, "out of the range"},
		{`[1,2]`, "not an array"},
		{`"s"`, "not a string"},
		{`12`, "not a number"},
		{`null`, "not null"},
		{`{"a":}`, "not valid JSON"},
		{`{"a":1} {"b":2}`, "not valid JSON"},
	} {
		err := CheckData([]byte(c.data))
		if !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckData(%s) = %v, want %q", c.data, err, c.want)
		}
	}
	for _, ok := range []string{`{}`, `{"n":1e308}`, `{"n":9007199254740993}`} {
		if err := CheckData([]byte(ok)); err != nil {
			t.Errorf("CheckData(%s) = %v, want nil", ok, err)
		}
	}
}
