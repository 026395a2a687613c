package email

import (
	"regexp"
	"strings"
	"sync"

	"golang.org/x/net/html"
)

// Compiled on first use rather than at package init (which runs on every start of the binary).
var (
	blankLines    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\n{3,}`) })
	trailingSpace = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[ \t]+\n`) })
)

// plainFromHTML is the text/plain alternative of an HTML body: its text, with line breaks where block
// elements end, links followed by their address, and no script or style content. Mail clients that
// show text only, and spam filters that compare the two parts, get a readable message.
func plainFromHTML(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	var href string
	for {
		switch z.Next() {
		case html.ErrorToken:
			out := trailingSpace().ReplaceAllString(b.String(), "\n")
			out = blankLines().ReplaceAllString(strings.TrimSpace(out), "\n\n")
			return out + "\n"
		case html.TextToken:
			if skip == 0 {
				text := string(z.Text()) // Text consumes the token's text: read it once
				if strings.TrimSpace(text) != "" && strings.ContainsAny(text[:1], " \t\n") && !endsInSpace(b.String()) {
					b.WriteByte(' ')
				}
				b.WriteString(strings.Join(strings.Fields(text), " "))
				if strings.TrimSpace(text) != "" && strings.ContainsAny(text[len(text)-1:], " \t\n") {
					b.WriteByte(' ')
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip++
			case "br":
				b.WriteByte('\n')
			case "li":
				b.WriteString("\n- ")
			case "a":
				href = ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "blockquote", "pre":
				b.WriteString("\n\n")
			case "a":
				if href != "" && !strings.HasPrefix(href, "#") {
					b.WriteString(" <" + href + ">")
				}
				href = ""
			}
		}
	}
}

func endsInSpace(s string) bool {
	return s == "" || strings.ContainsAny(s[len(s)-1:], " \n")
}
