package config

import "testing"

// TestUnclosed: the line of the first bracket never closed, skipping comments and quoted scalars.
func TestUnclosed(t *testing.T) {
	tests := []struct {
		doc  string
		line int
	}{
		{"a: {b: 1}\n", 0},
		{"# {\na: 1\nb: {c: 1\nd: {e: 2}\n", 3},
		{"a: [1, 2\nb: 3\n", 1},
		{"a: \"{\"\nb: '['\nc: {d: \"}\"\n", 3},
		{"a: it's {x\n", 1},
	}
	for _, tt := range tests {
		if got, _ := unclosed([]byte(tt.doc)); got != tt.line {
			t.Errorf("unclosed(%q) = line %d, want %d", tt.doc, got, tt.line)
		}
	}
}
