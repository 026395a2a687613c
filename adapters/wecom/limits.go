package wecom

import (
	"encoding/base64"
	"fmt"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Limits of the payloads a card may be (docs/providers.md, "WeCom"): the robot refuses, or cuts
// without a word, what exceeds them. Sizes are bytes of UTF-8.
const (
	MaxArticles        = 8       // news.articles: 1 to 8
	MaxArticleTitle    = 128     // news.articles[].title (WeCom cuts the rest)
	MaxArticleDesc     = 512     // news.articles[].description (WeCom cuts the rest)
	MaxImageBytes      = 2 << 20 // image: the raw image behind image.base64
	MaxHorizontalItems = 6       // template_card.horizontal_content_list
	MaxJumpItems       = 3       // template_card.jump_list
)

// checkCard reports every limit a card payload p (already known to name its msgtype) exceeds,
// each with the line of the body where the value is.
func checkCard(m *mailbox.Message, p map[string]any) error {
	mt, _ := p["msgtype"].(string)
	obj, _ := p[mt].(map[string]any)
	node := adapters.BodyNode(m.Body)
	var l adapters.Limits
	bytesOver := func(path, what string, s string, limit int) {
		if len(s) > limit {
			l.Add(node, path, fmt.Sprintf("%s is %d bytes; %s accepts at most %d", what, len(s), Name, limit))
		}
	}
	switch mt {
	case "text":
		s, _ := obj["content"].(string)
		bytesOver("text.content", "text content", s, MaxText)
	case "markdown", "markdown_v2":
		s, _ := obj["content"].(string)
		bytesOver(mt+".content", mt+" content", s, MaxMarkdown)
	case "news":
		arts, _ := obj["articles"].([]any)
		if len(arts) == 0 || len(arts) > MaxArticles {
			l.Add(node, "news.articles", fmt.Sprintf("has %d articles; %s takes 1 to %d", len(arts), Name, MaxArticles))
		}
		for i, a := range arts {
			art, _ := a.(map[string]any)
			title, _ := art["title"].(string)
			desc, _ := art["description"].(string)
			bytesOver(fmt.Sprintf("news.articles[%d].title", i), "title", title, MaxArticleTitle)
			bytesOver(fmt.Sprintf("news.articles[%d].description", i), "description", desc, MaxArticleDesc)
		}
	case "image":
		if b64, _ := obj["base64"].(string); base64.StdEncoding.DecodedLen(len(b64)) > MaxImageBytes {
			if raw, err := base64.StdEncoding.DecodeString(b64); err != nil || len(raw) > MaxImageBytes {
				l.Add(node, "image.base64", fmt.Sprintf("the image is more than %d bytes (or not base64); %s accepts at most %d",
					MaxImageBytes, Name, MaxImageBytes))
			}
		}
	case "template_card":
		for _, c := range []struct {
			key   string
			limit int
		}{{"horizontal_content_list", MaxHorizontalItems}, {"jump_list", MaxJumpItems}} {
			if list, _ := obj[c.key].([]any); len(list) > c.limit {
				l.Add(node, "template_card."+c.key, fmt.Sprintf("has %d items; %s accepts at most %d", len(list), Name, c.limit))
			}
		}
	}
	return l.Err()
}
