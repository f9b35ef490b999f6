package phrase

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/spool"
)

// TestParsePhrase covers every phrase the original tool documented (its natural
// language reference), the forms ipc's own instructions teach, and
// variants in case, spacing and punctuation.
func TestParsePhrase(t *testing.T) {
	reg := func(n string) Action { return Action{Verb: VerbRegister, Name: n} }
	snd := func(n, text string) Action { return Action{Verb: VerbSend, Name: n, Text: text} }
	bc := func(text string) Action { return Action{Verb: VerbBroadcast, Text: text} }
	ren := func(n string) Action { return Action{Verb: VerbRename, Name: n} }
	chk := Action{Verb: VerbCheck}
	lst := Action{Verb: VerbList}
	start := func(m int) Action { return Action{Verb: VerbAutoStart, Minutes: m} }
	stop := Action{Verb: VerbAutoStop}
	stat := Action{Verb: VerbAutoStatus}
	tests := []struct {
		in   string
		want Action
	}{
		// Registration.
		{"Register this instance as claude", reg("claude")},
		{"register this instance as X", reg("X")},
		{"Register as barney", reg("barney")},
		{"register as alice-2", reg("alice-2")},
		{"I want to be called fred", reg("fred")},
		{"My name is alice", reg("alice")},
		{"Call me jarvis", reg("jarvis")},
		{"register me as bob_x", reg("bob_x")},
		{"  please   register this session as   wsl1  ", reg("wsl1")},
		{"register dave", reg("dave")},

		// Sending, with a colon.
		{"msg claude: need help with database", snd("claude", "need help with database")},
		{"msg X: hello", snd("X", "hello")},
		{"send to barney: deployment complete", snd("barney", "deployment complete")},
		{"tell fred: check the logs", snd("fred", "check the logs")},
		{"message alice: meeting in 5", snd("alice", "meeting in 5")},
		{"send bob: the build is green", snd("bob", "the build is green")},
		{"MSG Bob:hi", snd("Bob", "hi")},
		{"msg bob: line one\nline two", snd("bob", "line one\nline two")},
		{`msg claude: "Hello world"`, snd("claude", "Hello world")},
		{"msg bob: are you there?", snd("bob", "are you there?")},
		{"msg bob meet at 10:30", snd("bob", "meet at 10:30")},
		{"tell bob see https://example.com/a", snd("bob", "see https://example.com/a")},
		{"msg bob: note: the build is green", snd("bob", "note: the build is green")},
		// Sending, without a colon.
		{"msg claude about the database issue", snd("claude", "about the database issue")},
		{"tell barney the deployment is done", snd("barney", "the deployment is done")},
		{"send fred a message to check logs", snd("fred", "to check logs")},
		{"message alice that we're starting", snd("alice", "we're starting")},
		{"message X text", snd("X", "text")},
		{"send a message to claude asking how to resolve the authentication bug in UserService.js line 45",
			snd("claude", "asking how to resolve the authentication bug in UserService.js line 45")},
		{"tell barney that the database migration failed with error code 1045 and we need to rollback",
			snd("barney", "the database migration failed with error code 1045 and we need to rollback")},
		{"msg fred: tried increasing heap size?", snd("fred", "tried increasing heap size?")},

		// Checking.
		{"msgs?", chk},
		{"messages?", chk},
		{"check messages", chk},
		{"Check Messages", chk},
		{"check my messages", chk},
		{"check mail", chk},
		{"check my mail", chk},
		{"any messages?", chk},
		{"any new messages?", chk},
		{"do I have messages?", chk},
		{"do I have any new messages?", chk},
		{"what messages do I have?", chk},
		{"check", chk},
		{"read my new messages", chk},

		// Listing.
		{"list instances", lst},
		{"list all instances", lst},
		{"who's online?", lst},
		{"whos online", lst},
		{"who is online", lst},
		{"show active instances", lst},
		{"show who's connected", lst},
		{"which AIs are active?", lst},
		{"list", lst},

		// Broadcasting.
		{"broadcast: urgent message", bc("urgent message")},
		{"broadcast to all: system update", bc("system update")},
		{"tell everyone: meeting now", bc("meeting now")},
		{"send to all: deployment starting", bc("deployment starting")},
		{"message everyone about the outage", bc("about the outage")},
		{"broadcast: Sprint planning in 10 minutes", bc("Sprint planning in 10 minutes")},
		{"tell everyone: found it - infinite loop in processQueue()", bc("found it - infinite loop in processQueue()")},
		{"broadcast deploying hotfix", bc("deploying hotfix")},

		// Renaming.
		{"rename to fred-debugging", ren("fred-debugging")},
		{"rename to X", ren("X")},
		{"change my name to alice-v2", ren("alice-v2")},
		{"I want to be called bob-testing now", ren("bob-testing")},
		{"rename myself to charlie-prod", ren("charlie-prod")},
		{"rename me to dave", ren("dave")},

		// Auto-check.
		{"start auto checking", start(0)},
		{"start auto checking every 5 minutes", start(5)},
		{"start auto checking 10", start(10)},
		{"start auto checking 5", start(5)},
		{"enable auto check with 3 minute interval", start(3)},
		{"turn on auto checking for 2 minutes", start(2)},
		{"auto check messages every 15 min", start(15)},
		{"stop auto checking", stop},
		{"disable auto check", stop},
		{"turn off auto checking", stop},
		{"no more auto checks", stop},
		{"is auto checking on?", stat},
		{"auto check status", stat},
		{"how often are we auto checking?", stat},
		{"when's the next auto check?", stat},
		{"auto-check status", stat},
		{"tell bob to stop auto checking", snd("bob", "to stop auto checking")},

		// Replying.
		{"reply 3f2a9c0d1e2b: got it", Action{Verb: VerbReply, ID: "3f2a9c0d1e2b", Text: "got it"}},
		{"reply to 3F2A9C: thanks", Action{Verb: VerbReply, ID: "3f2a9c", Text: "thanks"}},
		{"reply 3f2a9c sounds good", Action{Verb: VerbReply, ID: "3f2a9c", Text: "sounds good"}},
		{"reply: got it", Action{Verb: VerbReply, Text: "got it"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePhraseRefuses(t *testing.T) {
	tests := []struct {
		in      string
		want    string   // in the error
		suggest []string // among the suggestions, if not understood
		cause   error
	}{
		{"chek mesages", "did you mean", []string{"check messages"}, nil},
		{"regster as bob", "did you mean", []string{"register this instance as NAME"}, nil},
		{"brodcast hello", "did you mean", []string{"broadcast: TEXT"}, nil},
		{"renam to bob", "did you mean", []string{"rename to NAME"}, nil},
		{"make me a sandwich", "did you mean one of:", All, nil},
		{"", "did you mean one of:", All, nil},
		{"???", "did you mean one of:", All, nil},
		{"msg bob:", "no message text", nil, spool.ErrEmpty},
		// A head before the colon that is not one name: refused, not guessed.
		{"msg bad name!: hi", `cannot tell the recipient from the text: "msg bad name!"`, All, nil},
		{"tell bob the plan: ship it", `"tell bob the plan" before the colon`, All, nil},
		{"send to bob smith: hi", "cannot tell the recipient", All, nil},
		{"broadcast:   ", "no message text", nil, spool.ErrEmpty},
		{"register as " + strings.Repeat("x", 40), "invalid name", nil, spool.ErrBadName},
		{"start auto checking 500", "auto-check interval must be 1 to 60 minutes", nil, awareness.ErrBadInterval},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := Parse(tt.in)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %+v, %v; want a *Error", tt.in, a, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			for _, s := range tt.suggest {
				if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
					t.Errorf("error %q does not suggest %q", err, s)
				}
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("error %v does not wrap %v", err, tt.cause)
			}
		})
	}
}

func ExampleParse() {
	a, _ := Parse("msg bob: the build is green")
	fmt.Printf("%s to %s: %s\n", a.Verb, a.Name, a.Text)
	_, err := Parse("chek mesages")
	fmt.Println(err)
	// Output:
	// send to bob: the build is green
	// cannot understand "chek mesages"; did you mean "check messages"?
}
