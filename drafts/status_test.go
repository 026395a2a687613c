package drafts

import (
	"testing"
)

// TestEscapeText: status output never passes a control character through (README.md, "Commands").
func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain Issues/a.md":      "plain Issues/a.md",
		"\x1b]0;owned\x07title":  `\x1b]0;owned\atitle`,
		"line\rover":             `line\rover`,
		"tab\tand unicode é → ✓": `tab\tand unicode é → ✓`,
	} {
		if got := EscapeText(in); got != want {
			t.Errorf("EscapeText(%q) = %q, want %q", in, got, want)
		}
	}
}
