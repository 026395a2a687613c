package mailbox

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions ValidProvider and ValidID replaced (they were compiled at package init,
// ≈1 ms per start of the binary); the byte checks must accept exactly the same names.
var (
	wasProvider = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	wasID       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

func TestValidNamesMatchTheFormerRegexps(t *testing.T) {
	t.Parallel()
	cases := []string{"", "a", "Z", "0", "_", "-", ".", "..", "a..b", "a.b", "a_b-c", "a\n", "\na", "a$",
		"é", "aé", "a\x00", "a/b", "a\\b", "a b", "#a", "A.b-c_d", "out_slack_0123456789ab", "a.",
		"z" + strings.Repeat("9", 31), "z" + strings.Repeat("9", 32),
		"Z" + strings.Repeat("_", 127), "Z" + strings.Repeat("_", 128), strings.Repeat("é", 20)}
	for c := 0; c < 256; c++ { // every byte alone and in every position the checks distinguish
		b := string(rune(c))
		if c >= 0x80 {
			b = string([]byte{byte(c)})
		}
		cases = append(cases, b, "a"+b, "A"+b, "a"+b+"a", b+"a")
	}
	for _, s := range cases {
		if got, want := ValidProvider(s), wasProvider.MatchString(s); got != want {
			t.Errorf("ValidProvider(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := ValidID(s), wasID.MatchString(s) && !strings.Contains(s, ".."); got != want {
			t.Errorf("ValidID(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

func FuzzValidNamesMatchTheFormerRegexps(f *testing.F) {
	for _, s := range []string{"slack", "out_slack_0123456789ab", "a..b", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidProvider(s), wasProvider.MatchString(s); got != want {
			t.Errorf("ValidProvider(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := ValidID(s), wasID.MatchString(s) && !strings.Contains(s, ".."); got != want {
			t.Errorf("ValidID(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
