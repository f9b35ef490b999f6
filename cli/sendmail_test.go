package cli

import (
	"slices"
	"testing"
)

func TestParseSendmailArgs(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		to    []string
		from  string
		t, ok bool
	}{
		{[]string{"-oi", "-oem", "--", "bob", "carol@h"}, []string{"bob", "carol@h"}, "", false, true},
		{[]string{"-t", "-i", "-fann@laptop"}, nil, "ann@laptop", true, true},
		{[]string{"-f", "cron", "-F", "Cron Daemon", "bob"}, []string{"bob"}, "cron", false, true},
		{[]string{"-bs"}, nil, "", false, false},
		{[]string{"-f"}, nil, "", false, false},
	} {
		a := &App{}
		sub, _, err := parseSendmailArgs(a, tc.args)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok %v", tc.args, err, tc.ok)
			continue
		}
		if tc.ok && (!slices.Equal(sub.Recipients, tc.to) || sub.From != tc.from || sub.FromHeaders != tc.t) {
			t.Errorf("%q = %+v", tc.args, sub)
		}
	}
}
