package spool

import (
	"strings"
	"testing"
)

func TestNamesAndHosts(t *testing.T) {
	for _, tt := range []struct {
		s          string
		name, host bool
	}{
		{"alice", true, true},
		{"a", true, true},
		{"Bob_2-x", true, true},
		{strings.Repeat("x", 32), true, true},
		{strings.Repeat("x", 33), false, true},
		{strings.Repeat("x", 63), false, true},
		{strings.Repeat("x", 64), false, false},
		{"-lead", true, false},
		{"_lead", true, false},
		{"", false, false},
		{"a.b", false, false},
		{"a b", false, false},
		{"é", false, false},
		{"a\n", false, false},
		{"a/b", false, false},
	} {
		if got := ValidName(tt.s) == nil; got != tt.name {
			t.Errorf("ValidName(%q) ok = %v, want %v", tt.s, got, tt.name)
		}
		if got := ValidHost(tt.s) == nil; got != tt.host {
			t.Errorf("ValidHost(%q) ok = %v, want %v", tt.s, got, tt.host)
		}
	}
}
