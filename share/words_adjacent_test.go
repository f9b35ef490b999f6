package share

import (
	"slices"
	"testing"
)

// TestSplitWordsAdjacent covers quotes that open or close inside a word:
// the text right after a closing quote belongs to the same word.
func TestSplitWordsAdjacent(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`echo a""b`, []string{"echo", "ab"}},
		{`echo ""`, []string{"echo", ""}},
		{`'a'"b"c`, []string{"abc"}},
		{`"x"y z`, []string{"xy", "z"}},
		{`echo 'it'\''s'`, []string{"echo", "it's"}},
		{`printf '%s|' 'a b' "c d" e\ f`, []string{"printf", "%s|", "a b", "c d", "e f"}},
		{`echo "cost \$5"`, []string{"echo", "cost $5"}},
		{"grep -n 'x y' file.go # find it", []string{"grep", "-n", "x y", "file.go"}},
		{"héllo wörld ✓ 日本語", []string{"héllo", "wörld", "✓", "日本語"}},
	}
	for _, tt := range tests {
		got, err := SplitWords(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
