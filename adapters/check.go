package adapters

import (
	"fmt"
	"strings"

	"github.com/monoco/courier/delivery/mailbox"
)

// CheckUserMentions refuses mentions other than user and all, and a user mention without a
// target; target says what names a user on the provider (e.g. "open_id or user_id").
func CheckUserMentions(provider, target string, ms []mailbox.Mention) error {
	for _, mt := range ms {
		if mt.Type != "user" && mt.Type != "all" && mt.Type != "" {
			return &CheckError{Field: "mentions",
				Msg: fmt.Sprintf("%s supports mentions of type user and all, not %q", provider, mt.Type)}
		}
		if mt.Type != "all" && strings.TrimSpace(mt.Target) == "" {
			return &CheckError{Field: "mentions", Msg: "a user mention needs a target (" + target + ")"}
		}
	}
	return nil
}

// CheckChat runs the checks a chat robot that mentions users makes first: CheckUserMentions, then
// CheckBody.
func CheckChat(provider, target string, m *mailbox.Message) error {
	if err := CheckUserMentions(provider, target, m.Mentions); err != nil {
		return err
	}
	return CheckBody(provider, m)
}

// CheckBody refuses an empty body, except for a card (whose object is checked by rendering it).
func CheckBody(provider string, m *mailbox.Message) error {
	if ContentType(m) != mailbox.ContentCard && strings.TrimSpace(m.Body) == "" {
		return &CheckError{Field: "body", Msg: "empty: " + provider + " refuses empty messages"}
	}
	return nil
}

// CheckSize refuses a rendered request body of n bytes over limit.
func CheckSize(provider string, n, limit int) error {
	if n > limit {
		return &CheckError{Field: "body", Msg: fmt.Sprintf(
			"rendered %s message is %d bytes; %s accepts at most %d", provider, n, provider, limit)}
	}
	return nil
}
