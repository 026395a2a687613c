package wecom

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/monoco/courier/adapters"
)

// TestCardLimits checks each limit of a card payload at its boundary: n passes, n+1 fails with the
// body line of the value.
func TestCardLimits(t *testing.T) {
	t.Parallel()
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	articles := func(n int) string {
		return strings.TrimSuffix(strings.Repeat(`{"title": "t", "url": "https://x"},`, n), ",")
	}
	items := func(n int) string { return strings.TrimSuffix(strings.Repeat(`{"keyname": "k"},`, n), ",") }
	for _, tc := range []struct {
		name  string
		card  func(n int) string // the msgtype object, on line 3 of the body
		limit int
		want  string
	}{
		{"text content", func(n int) string {
			return `"text": {"content": ` + q(strings.Repeat("中", n/3)+strings.Repeat("a", n%3)) + `}`
		},
			MaxText, "text.content: text content is 2049 bytes"},
		{"markdown content", func(n int) string { return `"markdown": {"content": ` + q(strings.Repeat("a", n)) + `}` },
			MaxMarkdown, "markdown.content: markdown content is 4097 bytes"},
		{"markdown_v2 content", func(n int) string { return `"markdown_v2": {"content": ` + q(strings.Repeat("a", n)) + `}` },
			MaxMarkdown, "markdown_v2.content: markdown_v2 content is 4097 bytes"},
		{"news articles", func(n int) string { return `"news": {"articles": [` + articles(n) + `]}` },
			MaxArticles, "news.articles: has 9 articles; wecom takes 1 to 8"},
		{"article title", func(n int) string {
			return `"news": {"articles": [{"title": ` + q(strings.Repeat("t", n)) + `, "url": "https://x"}]}`
		}, MaxArticleTitle, "news.articles[0].title: title is 129 bytes"},
		{"article description", func(n int) string {
			return `"news": {"articles": [{"title": "t", "description": ` + q(strings.Repeat("d", n)) + `, "url": "https://x"}]}`
		}, MaxArticleDesc, "news.articles[0].description: description is 513 bytes"},
		{"image", func(n int) string {
			return `"image": {"base64": "` + base64.StdEncoding.EncodeToString(make([]byte, n)) + `", "md5": "x"}`
		}, MaxImageBytes, "image.base64: the image is more than 2097152 bytes"},
		{"horizontal_content_list", func(n int) string {
			return `"template_card": {"card_type": "text_notice", "horizontal_content_list": [` + items(n) + `]}`
		}, MaxHorizontalItems, "template_card.horizontal_content_list: has 7 items"},
		{"jump_list", func(n int) string {
			return `"template_card": {"card_type": "text_notice", "jump_list": [` + items(n) + `]}`
		}, MaxJumpItems, "template_card.jump_list: has 4 items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mt := strings.Trim(strings.SplitN(tc.card(1), ":", 2)[0], `"`)
			body := func(n int) string { return fmt.Sprintf("{\n  \"msgtype\": %q,\n  %s\n}\n", mt, tc.card(n)) }
			if err := Check(msg("card", body(tc.limit))); err != nil {
				t.Errorf("at the limit (%d): %v", tc.limit, err)
			}
			err := Check(msg("card", body(tc.limit+1)))
			var le *adapters.LimitError
			if !errors.As(err, &le) {
				t.Fatalf("over the limit (%d): got %v, want a *adapters.LimitError", tc.limit+1, err)
			}
			if le.Field != "body" || le.Line != 3 || !strings.HasPrefix(le.Msg, tc.want) {
				t.Errorf("got field %q line %d msg %q; want body, line 3, %q", le.Field, le.Line, le.Msg, tc.want)
			}
		})
	}
}

func TestCardNewsNeedsArticles(t *testing.T) {
	t.Parallel()
	err := Check(msg("card", `{"msgtype": "news", "news": {"articles": []}}`))
	if err == nil || !strings.Contains(err.Error(), "has 0 articles") {
		t.Errorf("Check = %v, want an error about 0 articles", err)
	}
}
