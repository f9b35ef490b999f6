package phrase

import (
	"reflect"
	"testing"

	"github.com/claude-ipc/ipc/spool"
)

// FuzzPhrase: any phrase is understood or refused without panicking, the
// same way every time, and what is understood names only valid names.
// Its seed corpus is in testdata/fuzz/FuzzPhrase.
func FuzzPhrase(f *testing.F) {
	for _, p := range All {
		f.Add(p)
	}
	for _, p := range []string{"msg bob: hi", "register this instance as alice", "reply 0123abcd: ok", "start auto checking 61", "msg ../x: hi", "broadcast:", "  please  check messages!!"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, phrase string) {
		a, err := Parse(phrase)
		b, err2 := Parse(phrase)
		if !reflect.DeepEqual(a, b) || (err == nil) != (err2 == nil) {
			t.Fatalf("Parse(%q) is not deterministic: %+v %v / %+v %v", phrase, a, err, b, err2)
		}
		if err != nil {
			return
		}
		switch a.Verb {
		case VerbRegister, VerbRename:
			if spool.ValidName(a.Name) != nil {
				t.Fatalf("Parse(%q) = %+v: not a valid name", phrase, a)
			}
		case VerbSend:
			if spool.ValidAddress(a.Name) != nil {
				t.Fatalf("Parse(%q) = %+v: not a valid recipient", phrase, a)
			}
		case VerbBroadcast, VerbCheck, VerbList, VerbReply, VerbAutoStart, VerbAutoStop, VerbAutoStatus:
		default:
			t.Fatalf("Parse(%q) = unknown verb %q", phrase, a.Verb)
		}
	})
}
