package email

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Address limits every SMTP server may enforce (docs/providers.md, "Email"; RFC 5321 §4.5.3.1): a
// longer address can be refused at RCPT TO, after the message was accepted for sending. (The
// domain's own limit, 255 octets, is never the one reached: the path limit binds first.)
const (
	MaxLocalPart = 64  // octets before the @
	MaxPath      = 256 // octets of <address>, the brackets included
)

// checkLimits reports every recipient address over the SMTP size limits.
func checkLimits(m *mailbox.Message) error {
	var l adapters.Limits
	for _, r := range []struct {
		name string
		list []string
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		for _, a := range r.list {
			addr, err := mail.ParseAddress(a)
			if err != nil {
				continue // Check reports it
			}
			at := strings.LastIndex(addr.Address, "@")
			local := addr.Address[:max(at, 0)]
			switch {
			case len(local) > MaxLocalPart:
				l.AddField(r.name, fmt.Sprintf("%q: the part before @ is %d bytes; SMTP allows at most %d", a, len(local), MaxLocalPart))
			case len(addr.Address)+2 > MaxPath:
				l.AddField(r.name, fmt.Sprintf("%q: the address is %d bytes; SMTP allows at most %d", a, len(addr.Address), MaxPath-2))
			}
		}
	}
	return l.Err()
}
