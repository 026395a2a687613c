package teams

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// MaxPayloadBytes is the size of the posted JSON Teams accepts (≈28 KB per message, a secondary
// source: docs/providers.md, "Teams").
const MaxPayloadBytes = 28 * 1024

// Adaptive Card constants: Teams renders up to 1.5, Power Automate is reported to fail on 1.6,
// and 1.4 works for every Workflows client (docs/providers.md, "Teams").
const (
	cardSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion     = "1.4"
	cardContentType = "application/vnd.microsoft.card.adaptive"
)

// Check rejects, before enqueue, what Teams would refuse: html (Adaptive Cards have no HTML), a
// card that is not an AdaptiveCard object (or a message envelope holding one), and payloads
// over MaxPayloadBytes.
func Check(m *mailbox.Message) error {
	_, err := payload(m)
	return err
}

// payload renders m as the Workflows message envelope, JSON-encoded. Errors are *adapters.CheckError.
func payload(m *mailbox.Message) ([]byte, error) {
	var env map[string]any
	switch m.ContentType {
	case "", mailbox.ContentText, mailbox.ContentMarkdown:
		var body []any
		if s := strings.TrimSpace(m.Subject); s != "" {
			body = append(body, textBlock(s, map[string]any{"weight": "Bolder", "size": "Large"}))
		}
		if m.ContentType == mailbox.ContentMarkdown {
			body = append(body, TextBlocks(m.Body)...)
		} else if t := strings.TrimRight(m.Body, "\n"); t != "" {
			body = append(body, textBlock(t, nil))
		}
		card := map[string]any{"$schema": cardSchema, "type": "AdaptiveCard", "version": cardVersion,
			"body": body, "msteams": map[string]any{"width": "Full"}}
		mention(card, m.Mentions)
		env = envelope(card)
	case mailbox.ContentCard:
		obj, err := adapters.CardBody(m)
		if err != nil {
			return nil, err
		}
		switch obj["type"] {
		case "AdaptiveCard":
			if _, ok := obj["body"].([]any); !ok {
				return nil, &adapters.CheckError{Field: "body", Msg: "an AdaptiveCard needs a body list"}
			}
			if obj["version"] == nil {
				obj["version"] = cardVersion
			}
			env = envelope(obj)
		case "message":
			if !hasAdaptive(obj) {
				return nil, &adapters.CheckError{Field: "body",
					Msg: "a message envelope needs an attachment of contentType " + cardContentType}
			}
			env = obj
		default:
			return nil, &adapters.CheckError{Field: "body",
				Msg: `a Teams card is an Adaptive Card object {"type": "AdaptiveCard", "body": [...]}`}
		}
	default:
		return nil, &adapters.CheckError{Field: "content_type",
			Msg: fmt.Sprintf("teams cannot send %q (use text, markdown or card)", m.ContentType)}
	}
	b, err := adapters.MarshalJSON(env)
	if err != nil {
		return nil, &adapters.CheckError{Field: "body", Msg: err.Error()}
	}
	if len(b) > MaxPayloadBytes {
		return nil, &adapters.CheckError{Field: "body",
			Msg: fmt.Sprintf("the Teams message is %d bytes, more than the limit of %d", len(b), MaxPayloadBytes)}
	}
	return b, nil
}

func envelope(card map[string]any) map[string]any {
	return map[string]any{"type": "message", "attachments": []any{
		map[string]any{"contentType": cardContentType, "contentUrl": nil, "content": card}}}
}

func hasAdaptive(env map[string]any) bool {
	atts, _ := env["attachments"].([]any)
	for _, a := range atts {
		if obj, ok := a.(map[string]any); ok && obj["contentType"] == cardContentType {
			if c, ok := obj["content"].(map[string]any); ok && c["type"] == "AdaptiveCard" {
				return true
			}
		}
	}
	return false
}

func textBlock(text string, extra map[string]any) map[string]any {
	b := map[string]any{"type": "TextBlock", "text": text, "wrap": true}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// mention adds Teams mentions (docs/providers.md, "Teams") for user mentions: `<at>Name</at>` in the text
// (replacing the first "@Name", else in front of the first block) plus a msteams entity whose id
// is the target (an Entra object id or UPN). Teams webhooks have no @channel, so all/channel/role
// mentions are not rendered.
func mention(card map[string]any, ms []mailbox.Mention) {
	body, _ := card["body"].([]any)
	var entities, front []any
	for _, m := range ms {
		if m.Type != "user" || m.Target == "" {
			continue
		}
		name := m.Name
		if name == "" {
			name = m.Target
		}
		tag := "<at>" + name + "</at>"
		entities = append(entities, map[string]any{"type": "mention", "text": tag,
			"mentioned": map[string]any{"id": m.Target, "name": name}})
		replaced := false
		for _, b := range body {
			tb := b.(map[string]any)
			if t := tb["text"].(string); strings.Contains(t, "@"+name) {
				tb["text"], replaced = strings.Replace(t, "@"+name, tag, 1), true
				break
			}
		}
		if !replaced {
			front = append(front, tag)
		}
	}
	if len(front) > 0 {
		tags := make([]string, len(front))
		for i, f := range front {
			tags[i] = f.(string)
		}
		card["body"] = append([]any{textBlock(strings.Join(tags, " "), nil)}, body...)
	}
	if len(entities) > 0 {
		card["msteams"].(map[string]any)["entities"] = entities
	}
}

// The line patterns of TextBlocks, compiled on first use rather than at package init (which runs on
// every start of the binary, and git hooks start it on every commit).
var (
	headingRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`) })
	listRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s+`) })
)

// TextBlocks converts Markdown to Adaptive Card TextBlocks (all wrap:true): one per paragraph
// (TextBlock markdown keeps **bold**, _italic_ and [links](…)), headings as bolder larger blocks,
// consecutive list items as one block, fenced code as a monospace block, quotes as subtle blocks.
func TextBlocks(md string) []any {
	var out []any
	var para []string
	kind := ""
	flush := func() {
		if len(para) > 0 {
			extra := map[string]any(nil)
			switch kind {
			case "code":
				extra = map[string]any{"fontType": "Monospace"}
			case "quote":
				extra = map[string]any{"isSubtle": true}
			}
			out = append(out, textBlock(strings.Join(para, "\n"), extra))
		}
		para, kind = nil, ""
	}
	add := func(k, line string) {
		if kind != k {
			flush()
			kind = k
		}
		para = append(para, line)
	}
	fence := ""
	for _, l := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence = ""
				flush()
				continue
			}
			add("code", l)
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			flush()
			fence = t[:3]
			kind = "code"
		case t == "":
			flush()
		case headingRE().MatchString(l):
			flush()
			g := headingRE().FindStringSubmatch(l)
			size := map[int]string{1: "Large", 2: "Medium"}[len(g[1])]
			if size == "" {
				size = "Default"
			}
			out = append(out, textBlock(g[2], map[string]any{"weight": "Bolder", "size": size}))
		case listRE().MatchString(l):
			add("list", l)
		case strings.HasPrefix(t, ">"):
			add("quote", strings.TrimSpace(strings.TrimPrefix(t, ">")))
		default:
			add("para", t)
		}
	}
	flush()
	return out
}
