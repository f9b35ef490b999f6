package share

import (
	"encoding/json"
	"testing"
)

func TestDataText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"command", `{"type":"command","command":"ls","exit_code":0,"stdout":"a\nb\n","stderr":"","timed_out":false}`,
			`{"command":"ls","exit_code":0,"timed_out":false,"type":"command"}`},
		{"file", `{"type":"file","path":"/x/a<b>.md","content":"text","size":4}`, `{"path":"/x/a<b>.md","size":4,"type":"file"}`},
		{"other type kept whole", `{"type":"note","stdout":"keep"}`, `{"type":"note","stdout":"keep"}`},
		{"no type", `{"stdout":"keep","b":1}`, `{"stdout":"keep","b":1}`},
		{"not an object", `[1,2]`, `[1,2]`},
	}
	for _, tt := range tests {
		if got := DataText(json.RawMessage(tt.in)); got != tt.want {
			t.Errorf("%s: DataText = %s, want %s", tt.name, got, tt.want)
		}
	}
}
