package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// escape makes s safe to print on a terminal: C0 and C1 control characters (ESC, CR, BEL, the
// bytes of OSC sequences…) and invalid UTF-8 are written as Go escapes (\x1b, \r, \u009b). With
// layout, newlines and tabs are kept.
func escape(s string, layout bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && strings.HasPrefix(s[i:], "\xef\xbf\xbd"):
			b.WriteRune(r) // a real U+FFFD
		case r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case layout && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
