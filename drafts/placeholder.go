package drafts

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/monoco/courier/delivery/mailbox"
)

// The placeholders `courier draft new` writes (README.md, "Drafts"): a draft that still carries one
// is invalid, so that an unedited template is never sent.
const (
	PlaceholderTo   = "<TO>"   // in `to`: the recipient
	PlaceholderBody = "<BODY>" // in the body and the subject: the message
)

// NewNote is the line `courier draft new` prints after writing the draft at rel: what to edit before
// committing. toGiven is whether `to` was filled in (--to).
func NewNote(rel string, toGiven bool) string {
	what := "edit the TO (" + PlaceholderTo + ") and BODY (" + PlaceholderBody + ") placeholders"
	if toGiven {
		what = "edit the BODY (" + PlaceholderBody + ") placeholders"
	}
	return what + " in " + rel + " before committing: until then the draft is invalid"
}

// placeholders reports every template placeholder left in m.
func (s *semantic) placeholders(m *mailbox.Message) {
	for _, l := range []struct {
		field string
		list  []string
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		for _, v := range l.list {
			if strings.TrimSpace(v) == PlaceholderTo {
				s.fail(l.field, fmt.Sprintf("%s is a template placeholder: replace it with a channel alias, chat id or email address", PlaceholderTo))
				break
			}
		}
	}
	if strings.Contains(m.Subject, PlaceholderBody) {
		s.fail("subject", fmt.Sprintf("%s is a template placeholder: write the subject", PlaceholderBody))
	}
	if i := bytes.Index(s.body, []byte(PlaceholderBody)); i >= 0 {
		line := s.bodyLine + bytes.Count(s.body[:i], []byte("\n"))
		s.errs.add("body", line, fmt.Sprintf("%s is a template placeholder: write the message", PlaceholderBody))
	}
}
