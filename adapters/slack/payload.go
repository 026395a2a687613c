package slack

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Limits (docs/providers.md, "Slack"): Slack truncates text beyond 40 000 characters and refuses more than
// 50 blocks.
const (
	MaxTextChars = 40000
	MaxBlocks    = 50
)

// Check rejects, before enqueue, what Slack would refuse or mangle: content types it cannot show
// (html), empty text (no_text), text over MaxTextChars after conversion to mrkdwn, and cards that
// are not a Block Kit object with 1–50 blocks or whose blocks break Block Kit limits (limits.go).
func Check(m *mailbox.Message) error {
	_, err := render(m)
	var ce *adapters.CheckError
	if errors.As(err, &ce) {
		return ce
	}
	if err != nil {
		return err
	}
	return checkLimits(m)
}

// render builds the message part of the payload (text, blocks, mrkdwn flag), without channel and
// thread. Errors are *adapters.CheckError.
func render(m *mailbox.Message) (map[string]any, error) {
	p := map[string]any{}
	switch m.ContentType {
	case "", mailbox.ContentText:
		p["text"] = mention(escape(strings.TrimRight(m.Body, "\n")), m.Mentions)
		p["mrkdwn"] = false
	case mailbox.ContentMarkdown:
		text := Mrkdwn(m.Body)
		if s := strings.TrimSpace(m.Subject); s != "" {
			text = "*" + inline(s) + "*\n" + text
		}
		p["text"] = mention(text, m.Mentions)
	case mailbox.ContentCard:
		card, err := adapters.CardBody(m)
		if err != nil {
			return nil, err
		}
		blocks, ok := card["blocks"].([]any)
		if !ok || len(blocks) == 0 {
			return nil, &adapters.CheckError{Field: "body",
				Msg: `a Slack card is a Block Kit object {"blocks": [...]} with at least one block`}
		}
		if len(blocks) > MaxBlocks {
			return nil, &adapters.CheckError{Field: "body",
				Msg: fmt.Sprintf("%d blocks is more than Slack's limit of %d", len(blocks), MaxBlocks)}
		}
		for i, b := range blocks {
			if obj, ok := b.(map[string]any); !ok || obj["type"] == nil {
				return nil, &adapters.CheckError{Field: "body", Msg: fmt.Sprintf("blocks[%d] has no type", i)}
			}
		}
		for k, v := range card {
			p[k] = v
		}
		if _, ok := p["text"]; !ok && strings.TrimSpace(m.Subject) != "" {
			p["text"] = escape(strings.TrimSpace(m.Subject)) // notification fallback
		}
	default:
		return nil, &adapters.CheckError{Field: "content_type",
			Msg: fmt.Sprintf("slack cannot send %q (use text, markdown or card)", m.ContentType)}
	}
	if t, _ := p["text"].(string); m.ContentType != mailbox.ContentCard && strings.TrimSpace(t) == "" {
		return nil, &adapters.CheckError{Field: "body", Msg: "empty: slack refuses a message without text (no_text)"}
	}
	if t, _ := p["text"].(string); utf8.RuneCountInString(t) > MaxTextChars {
		return nil, &adapters.CheckError{Field: "body",
			Msg: fmt.Sprintf("%d characters is more than Slack's limit of %d", utf8.RuneCountInString(t), MaxTextChars)}
	}
	return p, nil
}

// escape replaces the three characters Slack treats as control characters.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mention renders @-mentions (docs/providers.md, "Slack"): user → <@U…>, role → <!subteam^S…>, all and
// channel → <!channel> (a channel mention with a C… target links that channel: <#C…>). A user
// mention whose @Name appears in the text replaces it; the others are put in front.
func mention(text string, ms []mailbox.Mention) string {
	var front []string
	for _, m := range ms {
		var tok string
		switch m.Type {
		case "user":
			tok = "<@" + m.Target + ">"
		case "role":
			tok = "<!subteam^" + m.Target + ">"
		case "channel":
			tok = "<!channel>"
			if isConversationID(m.Target, "CGD") {
				tok = "<#" + m.Target + ">"
			}
		case "all":
			tok = "<!channel>"
		default:
			continue
		}
		if m.Type == "user" && m.Target == "" {
			continue
		}
		if at := "@" + m.Name; m.Name != "" && strings.Contains(text, at) {
			text = strings.Replace(text, at, tok, 1)
			continue
		}
		front = append(front, tok)
	}
	if len(front) == 0 {
		return text
	}
	return strings.Join(front, " ") + " " + text
}

// isSlackTS reports whether s is a Slack message timestamp: 9 or more digits, '.', 1 or more digits.
func isSlackTS(s string) bool {
	sec, frac, ok := strings.Cut(s, ".")
	return ok && len(sec) >= 9 && allDigits(sec) && len(frac) >= 1 && allDigits(frac)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// The line patterns of Mrkdwn, compiled on first use rather than at package init (which runs on
// every start of the binary, and git hooks start it on every commit).
var (
	bullet  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s*)[-*+]\s+(.*)$`) })
	ordered = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s*)(\d+[.)])\s+(.*)$`) })
	heading = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$`) })
	rule    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s{0,3}([-*_])(\s*[-*_]){2,}\s*$`) })
)

// Mrkdwn converts Markdown to Slack mrkdwn: **bold** → *bold*, *em* and _em_ → _em_,
// ~~strike~~ → ~strike~, [t](u) → <u|t>, headings → bold lines, bullets → •, code spans and fences
// kept, and &, <, > escaped everywhere else.
func Mrkdwn(md string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(md, "\r\n", "\n"), "\n"), "\n")
	out := make([]string, 0, len(lines))
	fence := ""
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence, l = "", "```"
			} else {
				l = escape(l)
			}
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			fence, l = t[:3], "```"
		case heading().MatchString(l):
			l = "*" + inline(heading().FindStringSubmatch(l)[1]) + "*"
		case i+1 < len(lines) && t != "" && isSetext(lines[i+1]):
			l = "*" + inline(t) + "*"
		case i > 0 && isSetext(l) && strings.TrimSpace(lines[i-1]) != "":
			continue
		case rule().MatchString(l):
			l = "──────────"
		case strings.HasPrefix(t, ">"):
			l = "> " + inline(strings.TrimSpace(strings.TrimPrefix(t, ">")))
		case bullet().MatchString(l):
			g := bullet().FindStringSubmatch(l)
			item := g[2]
			for pre, box := range map[string]string{"[ ] ": "☐ ", "[x] ": "☑ ", "[X] ": "☑ "} {
				if strings.HasPrefix(item, pre) {
					item = box + item[len(pre):]
				}
			}
			l = g[1] + "• " + inline(item)
		case ordered().MatchString(l):
			g := ordered().FindStringSubmatch(l)
			l = g[1] + g[2] + " " + inline(g[3])
		default:
			l = inline(l)
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func isSetext(l string) bool {
	t := strings.TrimSpace(l)
	return len(t) >= 2 && (strings.Trim(t, "=") == "" || strings.Trim(t, "-") == "")
}

// inline converts the inline Markdown of one line.
func inline(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		rest := s[i:]
		switch {
		case rest[0] == '\\' && len(rest) > 1 && strings.ContainsRune("\\`*_{}[]()#+-.!~|<>&", rune(rest[1])):
			b.WriteString(escape(rest[1:2]))
			i += 2
			continue
		case rest[0] == '`':
			n := len(rest) - len(strings.TrimLeft(rest, "`"))
			if end := strings.Index(rest[n:], rest[:n]); end >= 0 {
				b.WriteString("`" + escape(rest[n:n+end]) + "`")
				i += n + end + n
				continue
			}
		case strings.HasPrefix(rest, "!["), rest[0] == '[':
			if text, url, n, ok := link(rest); ok {
				b.WriteString("<" + url + "|" + inline(text) + ">")
				i += n
				continue
			}
		case rest[0] == '<':
			if end := strings.IndexByte(rest, '>'); end > 0 && isURL(rest[1:end]) {
				b.WriteString("<" + rest[1:end] + ">")
				i += end + 1
				continue
			}
		}
		if repl, inner, n, ok := emphasis(s, i); ok {
			b.WriteString(repl + inline(inner) + repl)
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(rest)
		b.WriteString(escape(string(r)))
		i += size
	}
	return b.String()
}

// link parses [text](url) or ![alt](url) at the start of s.
func link(s string) (text, url string, n int, ok bool) {
	start := 1
	if s[0] == '!' {
		start = 2
	}
	closeText := strings.Index(s[start:], "](")
	if closeText < 0 {
		return "", "", 0, false
	}
	text = s[start : start+closeText]
	rest := s[start+closeText+2:]
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return "", "", 0, false
	}
	url = strings.TrimSpace(rest[:end])
	if i := strings.IndexAny(url, " \t"); i >= 0 { // [t](url "title")
		url = url[:i]
	}
	if url == "" || strings.ContainsAny(url, "<>|") {
		return "", "", 0, false
	}
	if text == "" {
		text = url
	}
	return text, strings.ReplaceAll(url, "&", "&amp;"), start + closeText + 2 + end + 1, true
}

func isURL(s string) bool {
	return (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") ||
		strings.HasPrefix(s, "mailto:")) && !strings.ContainsAny(s, " <>")
}

// emphasis recognises **x**, __x__ (bold → *x*), *x*, _x_ (italic → _x_) and ~~x~~ (→ ~x~) at
// s[i]. Underscores inside words (snake_case) are left alone.
func emphasis(s string, i int) (repl, inner string, n int, ok bool) {
	for _, e := range []struct{ mark, repl string }{
		{"**", "*"}, {"__", "*"}, {"~~", "~"}, {"*", "_"}, {"_", "_"},
	} {
		rest := s[i:]
		if !strings.HasPrefix(rest, e.mark) {
			continue
		}
		body := rest[len(e.mark):]
		if body == "" || body[0] == ' ' || strings.HasPrefix(body, e.mark[:1]) && len(e.mark) == 1 {
			continue
		}
		if e.mark[0] == '_' && i > 0 && isWord(s[i-1]) {
			continue
		}
		end := strings.Index(body, e.mark)
		if end <= 0 || body[end-1] == ' ' {
			continue
		}
		after := i + len(e.mark) + end + len(e.mark)
		if e.mark[0] == '_' && after < len(s) && isWord(s[after]) {
			continue
		}
		return e.repl, body[:end], after - i, true
	}
	return "", "", 0, false
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
