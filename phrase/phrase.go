// Package phrase parses the seed's natural-language phrases ("msg bob:
// hi", "check messages", "who's online?", "rename to X", "start auto
// checking 5") into an Action, deterministically, with suggestions for a
// phrase it does not understand. ipc do runs what it returns; the MCP
// server teaches the same phrases in its instructions.
//
// phrase decides nothing about mail and touches no spool: it must not
// import any package of ipc but spool (for name rules), nor cobra or
// mcp-go (ARCHITECTURE.md).
package phrase

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/claude-ipc/ipc/awareness"
	"github.com/claude-ipc/ipc/spool"
)

// Verb is what a phrase asks for.
type Verb string

// The verbs Parse knows: one per ipc command the original tool's phrases map to.
const (
	VerbRegister   Verb = "register"
	VerbSend       Verb = "send"
	VerbBroadcast  Verb = "broadcast"
	VerbCheck      Verb = "check"
	VerbList       Verb = "list"
	VerbRename     Verb = "rename"
	VerbReply      Verb = "reply"
	VerbAutoStart  Verb = "auto-check start"
	VerbAutoStop   Verb = "auto-check stop"
	VerbAutoStatus Verb = "auto-check status"
)

// Action is a phrase understood: a verb and what it applies to.
type Action struct {
	Verb    Verb   `json:"verb"`
	Name    string `json:"name,omitempty"`    // register, rename: the name to take; send: the recipient
	Text    string `json:"text,omitempty"`    // send, broadcast, reply: the message
	ID      string `json:"id,omitempty"`      // reply: the message answered; "" for the latest one received
	Minutes int    `json:"minutes,omitempty"` // auto-check start: the interval; 0 for the default
}

// Error reports a phrase Parse could not turn into an Action:
// one it does not understand (Suggestions lists the phrases it resembles,
// or all of them), or one it understands but finds wrong (Reason).
type Error struct {
	Phrase      string
	Reason      string   // what is wrong with a phrase understood; "" when not understood
	Suggestions []string // phrases to try
	Err         error    // the underlying error (spool.ErrBadName), if any
}

func (e *Error) Error() string {
	q := make([]string, len(e.Suggestions))
	for i, s := range e.Suggestions {
		q[i] = strconv.Quote(s)
	}
	if e.Reason != "" && len(q) > 0 {
		return fmt.Sprintf("%q: %s; the phrases are: %s", e.Phrase, e.Reason, strings.Join(q, ", "))
	}
	if e.Reason != "" {
		return fmt.Sprintf("%q: %s", e.Phrase, e.Reason)
	}
	if len(q) == 1 {
		return fmt.Sprintf("cannot understand %q; did you mean %s?", e.Phrase, q[0])
	}
	return fmt.Sprintf("cannot understand %q; did you mean one of: %s?", e.Phrase, strings.Join(q, ", "))
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// All are the canonical forms of the phrases Parse understands,
// one per verb, as suggestions show them.
var All = []string{
	"register this instance as NAME",
	"msg NAME: TEXT",
	"broadcast: TEXT",
	"check messages",
	"who's online?",
	"rename to NAME",
	"reply ID: TEXT",
	"start auto checking 5",
	"stop auto checking",
	"auto check status",
}

// name is a name in a pattern (checked by spool.ValidName after).
const name = `([A-Za-z0-9_-]+)`

// patterns are the phrases' regular expressions. They are compiled on
// first use, not at init: every ipc process links this package, and most
// (ipc send, ipc hook) never parse a phrase.
type patterns struct {
	reply, replyBare, auto, autoStop, autoStatus, number *regexp.Regexp
	register, rename, check, list, broadcast, send       []*regexp.Regexp
	colon                                                *regexp.Regexp // a colon that ends a phrase's head
}

// The patterns, tried in order. (?s) lets message text span lines; (?i)
// makes keywords case-insensitive (names and text keep their case).
var compiled = sync.OnceValue(func() *patterns {
	return &patterns{
		reply:      regexp.MustCompile(`(?is)^reply(?:\s+to)?(?:\s+(?:message|msg)?\s*(?:id\s+)?([0-9a-f]{4,}))?\s*:\s*(.*)$`),
		replyBare:  regexp.MustCompile(`(?is)^reply\s+(?:to\s+)?(?:message\s+|msg\s+)?([0-9a-f]{4,})\s+(.+)$`),
		auto:       regexp.MustCompile(`(?i)^(?:(?:start|enable|turn\s+on|switch\s+on|begin|resume|stop|disable|turn\s+off|switch\s+off|no\s+more|cancel|end|pause|halt|is|are|how|when|what|whats|what's|when's|whens)\b.*)?\bauto[- ]?check`),
		autoStop:   regexp.MustCompile(`(?i)\b(stop|disable|turn off|switch off|off|no more|cancel|end|pause|halt)\b`),
		autoStatus: regexp.MustCompile(`(?i)^(is|are|how|when|what|whats|what's|when's|whens)\b|\bstatus\b|\bnext\b`),
		number:     regexp.MustCompile(`\b(\d{1,4})\b`),

		register: []*regexp.Regexp{
			regexp.MustCompile(`(?i)^register(?:\s+(?:this\s+)?(?:instance|session|agent|ai|claude|me|myself))?\s+as\s+` + name + `$`),
			regexp.MustCompile(`(?i)^register\s+` + name + `$`),
			regexp.MustCompile(`(?i)^(?:i\s+want\s+to\s+be\s+called|i'?m\s+called|my\s+name\s+is|call\s+me)\s+` + name + `$`),
		},
		rename: []*regexp.Regexp{
			regexp.MustCompile(`(?i)^(?:rename|change\s+name|change\s+my\s+name)(?:\s+(?:me|myself))?\s+(?:to|as)\s+` + name + `(?:\s+now)?$`),
			regexp.MustCompile(`(?i)^(?:i\s+want\s+to\s+be\s+called|call\s+me|my\s+name\s+is)\s+` + name + `\s+now$`),
		},
		check: []*regexp.Regexp{
			regexp.MustCompile(`(?i)^(?:check|read|show|get|fetch|open)(?:\s+(?:my|the|for|any))*(?:\s+(?:new|unread))?\s+(?:messages|message|msgs|mail|mails|inbox|mailbox)$`),
			regexp.MustCompile(`(?i)^(?:any|got\s+any|do\s+i\s+have|have\s+i\s+got)(?:\s+any)?(?:\s+(?:new|unread))?\s+(?:messages|msgs|mail)$`),
			regexp.MustCompile(`(?i)^what\s+(?:new\s+)?(?:messages|mail)\s+do\s+i\s+have$`),
			regexp.MustCompile(`(?i)^(?:msgs|messages|mail|inbox|check|new\s+messages|check\s+it)$`),
		},
		list: []*regexp.Regexp{
			regexp.MustCompile(`(?i)^(?:list|show|who\s+are)(?:\s+all)?(?:\s+(?:active|online|connected|the))?(?:\s+(?:instances|names|agents|ais|sessions|peers))?$`),
			regexp.MustCompile(`(?i)^(?:show\s+)?who(?:'?s|\s+is)(?:\s+(?:online|connected|around|here|active|there))?$`),
			regexp.MustCompile(`(?i)^which\s+(?:ais|agents|instances|names|sessions)\s+are\s+(?:active|online|connected|around)$`),
		},
		broadcast: []*regexp.Regexp{
			regexp.MustCompile(`(?is)^(?:broadcast|announce)(?:\s+to\s+(?:all|everyone|everybody))?\s*:\s*(.*)$`),
			regexp.MustCompile(`(?is)^(?:tell|msg|message|send\s+to|send|ping)\s+(?:all|everyone|everybody|all\s+instances)\s*:\s*(.*)$`),
			regexp.MustCompile(`(?is)^(?:broadcast|announce)\s+(?:to\s+(?:all|everyone|everybody)\s+)?(.+)$`),
			regexp.MustCompile(`(?is)^(?:tell|msg|message|send\s+to|ping)\s+(?:all|everyone|everybody)\s+(.+)$`),
		},
		send: []*regexp.Regexp{
			regexp.MustCompile(`(?is)^(?:msg|message|send|tell|dm|ping|write|send\s+to|send\s+a\s+message\s+to|send\s+message\s+to|message\s+to|write\s+to)\s+` + name + `\s*:\s*(.*)$`),
			regexp.MustCompile(`(?is)^(?:send\s+a\s+message\s+to|send\s+message\s+to|send\s+to|message\s+to|write\s+to)\s+` + name + `\s+(.+)$`),
			regexp.MustCompile(`(?is)^(?:msg|message|tell|dm|ping|send)\s+` + name + `\s+(.+)$`),
		},
		// A colon followed by a blank or the end, unlike the colons of
		// URLs and times.
		colon: regexp.MustCompile(`:(\s|$)`),
	}
})

// Parse turns one of the original tool's natural-language phrases into an
// Action, deterministically: "register this instance as X", "msg X: text",
// "broadcast: text", "check messages", "who's online?", "rename to X",
// "reply ID: text", "start auto checking 5", "stop auto checking", "auto
// check status", and the variants the original tool documented. A phrase it does
// not understand gives a *Error listing the phrases it resembles.
func Parse(s string) (Action, error) {
	p := normalize(s)
	if p == "" {
		return Action{}, &Error{Phrase: s, Suggestions: All}
	}
	for _, try := range []func(string) (Action, bool){parseReply, parseAuto, parseRegister, parseRename, parseCheck, parseList, parseBroadcast, parseSend} {
		if a, ok := try(p); ok {
			if err := unclear(s, p, a); err != nil {
				return Action{}, err
			}
			return a, check(s, a)
		}
	}
	return Action{}, &Error{Phrase: s, Suggestions: suggest(p)}
}

// normalize trims the phrase, drops a leading "please" and trailing
// punctuation after a keyword phrase, and collapses the blanks of the
// keyword part (message text keeps its own).
func normalize(s string) string {
	p := strings.TrimSpace(s)
	for _, pre := range []string{"please ", "pls ", "hey ", "ok ", "okay "} {
		if len(p) > len(pre) && strings.EqualFold(p[:len(pre)], pre) {
			p = strings.TrimSpace(p[len(pre):])
		}
	}
	if !strings.Contains(p, ":") {
		p = strings.TrimRight(p, "?!. ")
		p = strings.Join(strings.Fields(p), " ")
	}
	return p
}

func parseReply(p string) (Action, bool) {
	if m := compiled().reply.FindStringSubmatch(p); m != nil {
		return Action{Verb: VerbReply, ID: strings.ToLower(m[1]), Text: cleanText(m[2])}, true
	}
	if m := compiled().replyBare.FindStringSubmatch(p); m != nil {
		return Action{Verb: VerbReply, ID: strings.ToLower(m[1]), Text: cleanText(m[2])}, true
	}
	return Action{}, false
}

func parseAuto(p string) (Action, bool) {
	if !compiled().auto.MatchString(p) || strings.Contains(p, ":") {
		return Action{}, false
	}
	switch {
	case compiled().autoStop.MatchString(p) && !strings.Contains(strings.ToLower(p), "turn on"):
		return Action{Verb: VerbAutoStop}, true
	case compiled().autoStatus.MatchString(p):
		return Action{Verb: VerbAutoStatus}, true
	}
	a := Action{Verb: VerbAutoStart}
	if m := compiled().number.FindStringSubmatch(p); m != nil {
		a.Minutes, _ = strconv.Atoi(m[1])
	}
	return a, true
}

func parseRegister(p string) (Action, bool) {
	for _, re := range compiled().rename[1:] { // "call me X now" renames
		if re.MatchString(p) {
			return Action{}, false
		}
	}
	for _, re := range compiled().register {
		if m := re.FindStringSubmatch(p); m != nil {
			return Action{Verb: VerbRegister, Name: m[1]}, true
		}
	}
	return Action{}, false
}

func parseRename(p string) (Action, bool) {
	for _, re := range compiled().rename {
		if m := re.FindStringSubmatch(p); m != nil {
			return Action{Verb: VerbRename, Name: m[1]}, true
		}
	}
	return Action{}, false
}

func parseCheck(p string) (Action, bool) {
	return matchAny(p, compiled().check, Action{Verb: VerbCheck})
}

func parseList(p string) (Action, bool) {
	return matchAny(p, compiled().list, Action{Verb: VerbList})
}

func matchAny(p string, res []*regexp.Regexp, a Action) (Action, bool) {
	for _, re := range res {
		if re.MatchString(p) {
			return a, true
		}
	}
	return Action{}, false
}

func parseBroadcast(p string) (Action, bool) {
	for _, re := range compiled().broadcast {
		if m := re.FindStringSubmatch(p); m != nil {
			return Action{Verb: VerbBroadcast, Text: cleanText(m[1])}, true
		}
	}
	return Action{}, false
}

func parseSend(p string) (Action, bool) {
	for _, re := range compiled().send {
		if m := re.FindStringSubmatch(p); m != nil {
			return Action{Verb: VerbSend, Name: m[1], Text: cleanText(m[2])}, true
		}
	}
	return Action{}, false
}

// unclear refuses a send whose head, before its colon, is not "msg NAME":
// in "msg bad name!: hi" the recipient cannot be told from the text, and
// sending "name!: hi" to bad would be a guess.
func unclear(phrase, p string, a Action) error {
	if a.Verb != VerbSend || compiled().send[0].MatchString(p) {
		return nil
	}
	loc := compiled().colon.FindStringIndex(p)
	if loc == nil {
		return nil
	}
	return &Error{Phrase: phrase, Suggestions: All, Reason: fmt.Sprintf(
		"cannot tell the recipient from the text: %q before the colon is not one name; say \"msg NAME: TEXT\"", p[:loc[0]])}
}

// cleanText drops the filler between a name and the message ("that …",
// "a message …", "saying …") and the quotes around it.
func cleanText(t string) string {
	t = strings.TrimSpace(t)
	for _, pre := range []string{"a message saying ", "a message that ", "a message: ", "a message ", "saying ", "that "} {
		if len(t) > len(pre) && strings.EqualFold(t[:len(pre)], pre) {
			t = strings.TrimSpace(t[len(pre):])
			break
		}
	}
	if len(t) >= 2 && (t[0] == '"' && t[len(t)-1] == '"' || t[0] == '\'' && t[len(t)-1] == '\'') {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	return t
}

// check refuses an Action understood but unusable: a bad name, no text.
func check(phrase string, a Action) error {
	if a.Name != "" {
		if err := spool.ValidName(a.Name); err != nil {
			return &Error{Phrase: phrase, Reason: err.Error(), Err: err}
		}
	}
	switch a.Verb {
	case VerbSend, VerbBroadcast, VerbReply:
		if a.Text == "" {
			return &Error{Phrase: phrase, Reason: "no message text; put it after a colon, like " + strconv.Quote(formOf(a.Verb)), Err: spool.ErrEmpty}
		}
	case VerbAutoStart:
		if a.Minutes != 0 {
			if err := awareness.CheckInterval(a.Minutes); err != nil {
				return &Error{Phrase: phrase, Reason: err.Error(), Err: err}
			}
		}
	}
	return nil
}

func formOf(v Verb) string {
	switch v {
	case VerbBroadcast:
		return "broadcast: TEXT"
	case VerbReply:
		return "reply ID: TEXT"
	}
	return "msg NAME: TEXT"
}

// suggest returns the phrases closest to p: those whose keywords p's first
// words nearly spell, else all of them.
func suggest(p string) []string {
	words := strings.Fields(strings.ToLower(strings.Split(p, ":")[0]))
	type scored struct {
		form string
		d    float64
	}
	var best []scored
	for _, f := range All {
		keys := keywords(f)
		n := min(len(keys), len(words))
		if n == 0 {
			continue
		}
		a, b := strings.Join(words[:n], " "), strings.Join(keys[:n], " ")
		d := float64(levenshtein(a, b)) / float64(max(len(a), len(b)))
		if d <= 0.4 {
			best = append(best, scored{f, d})
		}
	}
	if len(best) == 0 {
		return All
	}
	for i := 1; i < len(best); i++ { // insertion sort: a handful of items
		for j := i; j > 0 && best[j].d < best[j-1].d; j-- {
			best[j], best[j-1] = best[j-1], best[j]
		}
	}
	out := make([]string, 0, 3)
	for _, b := range best[:min(3, len(best))] {
		out = append(out, b.form)
	}
	return out
}

// keywords returns the words of a form, placeholders and punctuation out.
func keywords(form string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(form)) {
		w = strings.Trim(w, ":?")
		if w == "" || w == "name" || w == "text" || w == "id" || w == "5" {
			continue
		}
		out = append(out, w)
	}
	return out
}

// levenshtein is the edit distance between a and b, in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
