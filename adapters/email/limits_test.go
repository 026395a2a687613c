package email

import (
	"errors"
	"strings"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// TestAddressLimits checks the SMTP address limits at their boundaries: n passes, n+1 fails.
func TestAddressLimits(t *testing.T) {
	t.Parallel()
	label := func(n int) string { // a domain of n bytes made of labels of at most 63
		var parts []string
		for n > 0 {
			k := min(n, 63)
			if n-k == 1 { // a label cannot be followed by a lone dot
				k--
			}
			parts = append(parts, strings.Repeat("d", k))
			n -= k + 1
		}
		return strings.Join(parts, ".")
	}
	for _, tc := range []struct {
		name  string
		addr  func(n int) string
		size  func(a string) int // what the limit measures
		limit int
		want  string
	}{
		{"local part", func(n int) string { return strings.Repeat("l", n) + "@example.com" }, func(a string) int { return strings.Index(a, "@") }, MaxLocalPart, "the part before @ is 65 bytes"},
		{"path", func(n int) string { return strings.Repeat("l", 60) + "@" + label(n-61) }, func(a string) int { return len(a) }, MaxPath - 2, "the address is 255 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{tc.limit, tc.limit + 1} {
				if got := tc.size(tc.addr(n)); got != n {
					t.Fatalf("test address measures %d for n=%d", got, n)
				}
			}
			m := func(a string) *mailbox.Message {
				return &mailbox.Message{ContentType: mailbox.ContentText, To: []string{"ok@example.com"}, Cc: []string{a}, Body: "hi"}
			}
			if err := Check(m(tc.addr(tc.limit))); err != nil {
				t.Errorf("at the limit: %v", err)
			}
			err := Check(m(tc.addr(tc.limit + 1)))
			var le *adapters.LimitError
			if !errors.As(err, &le) || le.Field != "cc" || !strings.Contains(le.Msg, tc.want) {
				t.Errorf("over the limit: got %v, want cc: …%s", err, tc.want)
			}
		})
	}
}
