package slack

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions that isChannelRef, isConversationID and isSlackTS replaced (they were
// compiled at package init, on every start of the binary); the byte checks must agree with them.
var (
	wasChannelRef = regexp.MustCompile(`^(?:[CGDUW][A-Z0-9]{6,}|#?[a-z0-9][a-z0-9._-]{0,79})$`)
	wasChannelID  = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
	wasSlackTS    = regexp.MustCompile(`^\d{9,}\.\d+$`)
)

func checkMatchers(t *testing.T, s string) {
	t.Helper()
	if got, want := isChannelRef(s), wasChannelRef.MatchString(s); got != want {
		t.Errorf("isChannelRef(%q) = %v, the regexp says %v", s, got, want)
	}
	if got, want := isConversationID(s, "CGD"), wasChannelID.MatchString(s); got != want {
		t.Errorf("isConversationID(%q, CGD) = %v, the regexp says %v", s, got, want)
	}
	if got, want := isSlackTS(s), wasSlackTS.MatchString(s); got != want {
		t.Errorf("isSlackTS(%q) = %v, the regexp says %v", s, got, want)
	}
}

func TestMatchersAgreeWithTheFormerRegexps(t *testing.T) {
	cases := []string{"", "#", "C", "C123456", "C12345", "C1234567", "U0ABCDEF", "W0ABCDEF", "X0ABCDEF",
		"c123456", "#C123456", "#general", "general", "#dev-ops_1.x", "-x", "#-x", "##x", "a b", "é",
		"#" + strings.Repeat("a", 80), "#" + strings.Repeat("a", 81), strings.Repeat("a", 80),
		strings.Repeat("a", 81), "1712345678.000100", "171234567.1", "17123456.1", "1712345678.",
		".1", "1712345678.1.2", "1712345678.1\n", "１712345678.1", "C123456\n"}
	for c := 0; c < 256; c++ {
		b := string([]byte{byte(c)})
		cases = append(cases, b, "C12345"+b, "C123456"+b, "a"+b, "#"+b+"a", "123456789."+b, b+"123456789.1")
	}
	for _, s := range cases {
		checkMatchers(t, s)
	}
}

func FuzzMatchersAgreeWithTheFormerRegexps(f *testing.F) {
	for _, s := range []string{"C1234567", "#general", "1712345678.000100"} {
		f.Add(s)
	}
	f.Fuzz(checkMatchers)
}
