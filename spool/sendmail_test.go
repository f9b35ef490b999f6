package spool

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSubmissionDraft(t *testing.T) {
	const mail = "From: Ann Person <ann.p@laptop>\nTo: bob@localhost, Carol <carol@x>\nCc: dave@y\nBcc: eve\n" +
		"Subject: Re: the plan\nMessage-ID: <m2@laptop>\nIn-Reply-To: <0123456789ab@host>\n" +
		"References: <00000000aaaa@host> <0123456789ab@host>\nContent-Type: text/plain; charset=utf-8\n" +
		"Content-Transfer-Encoding: quoted-printable\n\nsee you at caf=C3=A9\n"
	for _, tc := range []struct {
		name     string
		sub      Submission
		to       []string
		from     string
		err      error
		fromText string
	}{
		{"arguments", Submission{Recipients: []string{"bob", "Frank <frank@elsewhere>"}}, []string{"bob", "frank"}, "ann-p", nil, mail},
		{"-t", Submission{FromHeaders: true}, []string{"bob", "carol", "dave", "eve"}, "ann-p", nil, mail},
		{"-t and arguments, each once", Submission{FromHeaders: true, Recipients: []string{"BOB@h, zed"}}, []string{"BOB", "zed", "carol", "dave", "eve"}, "ann-p", nil, mail},
		{"-f wins", Submission{From: "cron@server", Recipients: []string{"bob"}}, []string{"bob"}, "cron", nil, mail},
		{"no From header: the login", Submission{Fallback: "root", Recipients: []string{"bob"}}, []string{"bob"}, "root", nil, "Subject: x\n\nbody\n"},
		{"no recipients", Submission{}, nil, "", ErrBadName, mail},
		{"a recipient that is no name", Submission{Recipients: []string{"a/b@x"}}, nil, "", ErrBadName, mail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := SubmissionDraft(strings.NewReader(tc.fromText), tc.sub)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.To, tc.to) || d.From != tc.from || d.Via != ProvSendmail {
				t.Errorf("to %v from %q via %q; want %v from %q via sendmail", d.To, d.From, d.Via, tc.to, tc.from)
			}
		})
	}
	d, err := SubmissionDraft(strings.NewReader(mail), Submission{Recipients: []string{"bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Subject != "Re: the plan" || d.Body != "see you at café" {
		t.Errorf("subject %q body %q", d.Subject, d.Body)
	}
	if d.ReplyTo == nil || d.ReplyTo.ID != "0123456789ab" || !slices.Equal(d.ReplyTo.References, []string{"00000000aaaa"}) {
		t.Errorf("thread: %+v", d.ReplyTo)
	}
}
