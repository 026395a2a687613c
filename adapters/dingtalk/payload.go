package dingtalk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// at is DingTalk's mention block.
type at struct {
	AtMobiles []string `json:"atMobiles,omitempty"`
	AtUserIDs []string `json:"atUserIds,omitempty"`
	IsAtAll   bool     `json:"isAtAll,omitempty"`
}

// render builds the request body for m: text → text, markdown → markdown (title as README.md, "Drafts",
// says), card → actionCard (the body object is the actionCard; an object with its own `msgtype` is
// sent as the whole payload). msgUuid is the message id, so a retry is deduplicated by DingTalk.
func render(m *mailbox.Message) ([]byte, error) {
	a, suffix := mentions(m.Mentions)
	var p map[string]any
	switch ct := adapters.ContentType(m); ct {
	case mailbox.ContentText:
		p = map[string]any{"msgtype": "text", "text": map[string]any{"content": appendMentions(m.Body, suffix, " ")}}
	case mailbox.ContentMarkdown:
		p = map[string]any{"msgtype": "markdown", "markdown": map[string]any{
			"title": adapters.Title(m.Subject, m.Body),
			"text":  appendMentions(m.Body, suffix, "\n\n"),
		}}
	case mailbox.ContentCard:
		obj, err := adapters.CardBody(m)
		if err != nil {
			return nil, err
		}
		if p, err = cardPayload(m, obj); err != nil {
			return nil, err
		}
		a = nil // actionCard has no @ support
	default:
		return nil, adapters.Unsupported(Name, ct)
	}
	if a != nil {
		p["at"] = a
	}
	if m.ID != "" {
		p["msgUuid"] = m.ID
	}
	return adapters.MarshalJSON(p)
}

func cardPayload(m *mailbox.Message, obj map[string]any) (map[string]any, error) {
	if mt, ok := obj["msgtype"].(string); ok && mt != "" {
		return obj, nil // a complete DingTalk payload (actionCard, link, feedCard, …)
	}
	card := obj
	if inner, ok := obj["actionCard"].(map[string]any); ok {
		card = inner
	}
	text, _ := card["text"].(string)
	if strings.TrimSpace(text) == "" {
		return nil, &adapters.CheckError{Field: "body", Msg: "card: actionCard needs a non-empty text"}
	}
	if t, _ := card["title"].(string); strings.TrimSpace(t) == "" {
		card["title"] = adapters.Title(m.Subject, text)
	}
	return map[string]any{"msgtype": "actionCard", "actionCard": card}, nil
}

// mentions maps courier mentions to DingTalk's at block and the `@…` text DingTalk requires in the
// content for a mention to notify: a target of digits is a mobile number, any other a user id;
// type all sets isAtAll. Types channel and role have no DingTalk equivalent (Check rejects them).
func mentions(ms []mailbox.Mention) (*at, []string) {
	if len(ms) == 0 {
		return nil, nil
	}
	a := &at{}
	var texts []string
	for _, mt := range ms {
		switch mt.Type {
		case "all":
			a.IsAtAll = true
		case "user", "":
			t := strings.TrimSpace(mt.Target)
			if t == "" {
				continue
			}
			if adapters.IsMobile(t) {
				a.AtMobiles = append(a.AtMobiles, t)
			} else {
				a.AtUserIDs = append(a.AtUserIDs, t)
			}
			texts = append(texts, "@"+t)
		}
	}
	if a.AtMobiles == nil && a.AtUserIDs == nil && !a.IsAtAll {
		return nil, nil
	}
	return a, texts
}

// appendMentions adds each `@target` the body does not already contain as a whole word (`@1380`
// inside `@13800000000` does not count).
func appendMentions(body string, texts []string, sep string) string {
	var missing []string
	for _, t := range texts {
		if !containsWord(body, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return body
	}
	return strings.TrimRight(body, " \t\r\n") + sep + strings.Join(missing, " ")
}

// containsWord reports whether t occurs in s not followed by a letter, digit or underscore.
func containsWord(s, t string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], t)
		if j < 0 {
			return false
		}
		end := i + j + len(t)
		if r, _ := utf8.DecodeRuneInString(s[end:]); end == len(s) || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			return true
		}
		i = i + j + 1
	}
}

// Check reports what DingTalk would refuse, before enqueue: content type html, mentions of type
// channel or role, an empty body, a card that is not an object with text, and a rendered request
// body over MaxBody bytes.
func Check(m *mailbox.Message) error {
	if err := adapters.CheckChat(Name, "mobile or user id", m); err != nil {
		return err
	}
	b, err := render(m)
	if err != nil {
		return err
	}
	return adapters.CheckSize(Name, len(b), MaxBody)
}
