package lark

import (
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// render builds the request body for m, without the signature fields: text → msg_type text;
// markdown → an interactive card (schema 2.0) whose header is the title (README.md, "Drafts") and whose
// body is one markdown element; card → interactive with the body object as the card (an object
// with its own msg_type is sent as the whole payload).
func render(m *mailbox.Message) (map[string]any, error) {
	switch ct := adapters.ContentType(m); ct {
	case mailbox.ContentText:
		return map[string]any{"msg_type": "text", "content": map[string]any{
			"text": withMentions(m.Body, textMentions(m.Mentions)),
		}}, nil
	case mailbox.ContentMarkdown:
		return map[string]any{"msg_type": "interactive", "card": map[string]any{
			"schema": "2.0",
			"header": map[string]any{"title": map[string]any{"tag": "plain_text", "content": adapters.Title(m.Subject, m.Body)}},
			"body": map[string]any{"elements": []any{
				map[string]any{"tag": "markdown", "content": withMentions(m.Body, cardMentions(m.Mentions))},
			}},
		}}, nil
	case mailbox.ContentCard:
		obj, err := adapters.CardBody(m)
		if err != nil {
			return nil, err
		}
		if mt, ok := obj["msg_type"].(string); ok && mt != "" {
			return obj, nil
		}
		if inner, ok := obj["card"].(map[string]any); ok && len(obj) == 1 {
			obj = inner
		}
		return map[string]any{"msg_type": "interactive", "card": obj}, nil
	default:
		return nil, adapters.Unsupported(Name, ct)
	}
}

// textMentions renders mentions for text messages: <at user_id="ou_…">Name</at>, and
// <at user_id="all">所有人</at> for everyone.
func textMentions(ms []mailbox.Mention) []string {
	var out []string
	for _, mt := range ms {
		switch mt.Type {
		case "all":
			out = append(out, `<at user_id="all">`+orDefault(mt.Name, "所有人")+`</at>`)
		case "user", "":
			if t := strings.TrimSpace(mt.Target); t != "" {
				out = append(out, `<at user_id="`+escapeAttr(t)+`">`+orDefault(mt.Name, t)+`</at>`)
			}
		}
	}
	return out
}

// cardMentions renders mentions inside a card's markdown: <at id=ou_…></at>, <at id=all></at>.
func cardMentions(ms []mailbox.Mention) []string {
	var out []string
	for _, mt := range ms {
		switch mt.Type {
		case "all":
			out = append(out, "<at id=all></at>")
		case "user", "":
			if t := strings.TrimSpace(mt.Target); t != "" {
				out = append(out, "<at id="+escapeAttr(t)+"></at>")
			}
		}
	}
	return out
}

// withMentions appends the mention tags the body does not already contain.
func withMentions(body string, tags []string) string {
	var missing []string
	for _, t := range tags {
		if !strings.Contains(body, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return body
	}
	return strings.TrimRight(body, " \t\r\n") + " " + strings.Join(missing, " ")
}

func escapeAttr(s string) string {
	return strings.NewReplacer(`"`, "", "<", "", ">", "", " ", "").Replace(s)
}

func orDefault(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}

// Check reports what Lark would refuse, before enqueue: content type html, mentions other than
// user and all, an empty text body, a card that is not an object, and a request body (with the
// signature fields) over MaxBody bytes.
func Check(m *mailbox.Message) error {
	if err := adapters.CheckChat(Name, "open_id or user_id", m); err != nil {
		return err
	}
	p, err := render(m)
	if err != nil {
		return err
	}
	// Count the signature fields too: a signed request is what must fit.
	p["timestamp"], p["sign"] = "1700000000", strings.Repeat("x", 44)
	b, err := adapters.MarshalJSON(p)
	if err != nil {
		return &adapters.CheckError{Field: "body", Msg: err.Error()}
	}
	return adapters.CheckSize(Name, len(b), MaxBody)
}
