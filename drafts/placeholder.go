package drafts

import (
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

// withPlaceholders returns checks with every known provider's check preceded by the placeholder
// check: a draft that carries a placeholder is invalid whatever its provider.
func withPlaceholders(checks map[string]func(*mailbox.Message) error) map[string]func(*mailbox.Message) error {
	out := map[string]func(*mailbox.Message) error{}
	for _, name := range KnownProviders() {
		out[name] = nil
	}
	for name, c := range checks {
		out[name] = c
	}
	for name, c := range out {
		out[name] = func(m *mailbox.Message) error {
			if err := placeholder(m); err != nil {
				return err
			}
			if c == nil {
				return nil
			}
			return c(m)
		}
	}
	return out
}

// placeholderError is a placeholder left in a draft. Its text is "field: message", as the providers'
// checks word theirs; BodyLine is the line in the body (1 = its first line), 0 outside the body.
type placeholderError struct {
	field, msg string
	line       int
}

func (e *placeholderError) Error() string { return e.field + ": " + e.msg }
func (e *placeholderError) BodyLine() int { return e.line }

// placeholder returns the first template placeholder left in m, or nil.
func placeholder(m *mailbox.Message) error {
	for _, l := range []struct {
		field string
		list  []string
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		for _, v := range l.list {
			if strings.TrimSpace(v) == PlaceholderTo {
				return &placeholderError{field: l.field, msg: fmt.Sprintf("%s is a template placeholder: replace it with a channel alias, chat id or email address", PlaceholderTo)}
			}
		}
	}
	if strings.Contains(m.Subject, PlaceholderBody) {
		return &placeholderError{field: "subject", msg: fmt.Sprintf("%s is a template placeholder: write the subject", PlaceholderBody)}
	}
	if i := strings.Index(m.Body, PlaceholderBody); i >= 0 {
		return &placeholderError{field: "body", line: 1 + strings.Count(m.Body[:i], "\n"),
			msg: fmt.Sprintf("%s is a template placeholder: write the message", PlaceholderBody)}
	}
	return nil
}
