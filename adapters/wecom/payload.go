package wecom

import (
	"fmt"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// render builds the request body for m: text → text with mentioned_list (user ids, "@all") and
// mentioned_mobile_list (targets of digits); markdown → markdown (v1, which supports <@userid>
// mentions); card → the body object as a whole WeCom payload (it must name its msgtype, e.g.
// template_card or news).
func render(m *mailbox.Message) (map[string]any, error) {
	switch ct := adapters.ContentType(m); ct {
	case mailbox.ContentText:
		text := map[string]any{"content": m.Body}
		users, mobiles := mentions(m.Mentions)
		if len(users) > 0 {
			text["mentioned_list"] = users
		}
		if len(mobiles) > 0 {
			text["mentioned_mobile_list"] = mobiles
		}
		return map[string]any{"msgtype": "text", "text": text}, nil
	case mailbox.ContentMarkdown:
		body := m.Body
		users, _ := mentions(m.Mentions)
		var tags []string
		for _, u := range users {
			if t := "<@" + u + ">"; u != "@all" && !strings.Contains(body, t) {
				tags = append(tags, t)
			}
		}
		if len(tags) > 0 {
			body = strings.TrimRight(body, " \t\r\n") + "\n" + strings.Join(tags, " ")
		}
		return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": body}}, nil
	case mailbox.ContentCard:
		obj, err := adapters.CardBody(m)
		if err != nil {
			return nil, err
		}
		mt, _ := obj["msgtype"].(string)
		if mt == "" {
			return nil, &adapters.CheckError{Field: "body",
				Msg: "card: a " + Name + " card is a whole payload naming its msgtype (e.g. template_card)"}
		}
		if _, ok := obj[mt].(map[string]any); !ok {
			return nil, &adapters.CheckError{Field: "body", Msg: fmt.Sprintf("card: msgtype %q needs a %q object", mt, mt)}
		}
		return obj, nil
	default:
		return nil, adapters.Unsupported(Name, ct)
	}
}

// mentions splits mentions into user ids (type all → "@all") and mobile numbers (digits).
func mentions(ms []mailbox.Mention) (users, mobiles []string) {
	for _, mt := range ms {
		switch mt.Type {
		case "all":
			users = append(users, "@all")
		case "user", "":
			t := strings.TrimSpace(mt.Target)
			switch {
			case t == "":
			case adapters.IsMobile(t):
				mobiles = append(mobiles, t)
			default:
				users = append(users, t)
			}
		}
	}
	return users, mobiles
}

// Check reports what WeCom would refuse, before enqueue: content type html; mentions other than
// user and all (and, in markdown, anything but user ids); an empty body; text.content over
// MaxText bytes or markdown.content over MaxMarkdown bytes; a card that is not a whole payload or
// exceeds its msgtype's limits (limits.go).
func Check(m *mailbox.Message) error {
	ct := adapters.ContentType(m)
	if err := adapters.CheckUserMentions(Name, "user id or mobile", m.Mentions); err != nil {
		return err
	}
	for _, mt := range m.Mentions {
		if ct == mailbox.ContentMarkdown && (mt.Type == "all" || adapters.IsMobile(strings.TrimSpace(mt.Target))) {
			return &adapters.CheckError{Field: "mentions",
				Msg: Name + " markdown can mention user ids only (use content_type text for @all or mobiles)"}
		}
	}
	if err := adapters.CheckBody(Name, m); err != nil {
		return err
	}
	p, err := render(m)
	if err != nil {
		return err
	}
	limit, key := 0, ""
	switch ct {
	case mailbox.ContentText:
		limit, key = MaxText, "text"
	case mailbox.ContentMarkdown:
		limit, key = MaxMarkdown, "markdown"
	default:
		return checkCard(m, p)
	}
	content, _ := p[key].(map[string]any)["content"].(string)
	if n := len(content); n > limit {
		return &adapters.CheckError{Field: "body", Msg: fmt.Sprintf(
			"%s %s content is %d bytes; %s accepts at most %d", Name, key, n, Name, limit)}
	}
	return nil
}
