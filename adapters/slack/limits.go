package slack

import (
	"fmt"
	"unicode/utf8"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Block Kit limits a card's blocks must keep, or Slack answers invalid_blocks (docs/providers.md,
// "Slack"; Slack's Block Kit reference). Lengths count characters, as Slack does.
const (
	MaxSectionText     = 3000 // a section's text
	MaxSectionFields   = 10   // items in a section's fields
	MaxFieldText       = 2000 // each field's text
	MaxHeaderText      = 150  // a header's text
	MaxBlockID         = 255  // any block's block_id
	MaxContextElements = 10   // elements of a context block
	MaxActionsElements = 25   // elements of an actions block
)

// checkLimits reports every Block Kit limit a card's blocks exceed, each with the line of the body
// where the offending value is. Other content types are rendered as text (MaxTextChars, in render).
func checkLimits(m *mailbox.Message) error {
	if adapters.ContentType(m) != mailbox.ContentCard {
		return nil
	}
	card, err := adapters.CardObject(m.Body)
	if err != nil {
		return nil // render reports it
	}
	blocks, _ := card["blocks"].([]any)
	node := adapters.BodyNode(m.Body)
	var l adapters.Limits
	over := func(path, what string, n, limit int, unit string) {
		if n > limit {
			l.Add(node, path, fmt.Sprintf("%s is %d %s; Slack accepts at most %d", what, n, unit, limit))
		}
	}
	for i, b := range blocks {
		block, _ := b.(map[string]any)
		p := fmt.Sprintf("blocks[%d]", i)
		if id, ok := block["block_id"].(string); ok {
			over(p+".block_id", "block_id", chars(id), MaxBlockID, "characters")
		}
		switch block["type"] {
		case "section":
			over(p+".text.text", "section text", textLen(block["text"]), MaxSectionText, "characters")
			fields, _ := block["fields"].([]any)
			over(p+".fields", "section fields", len(fields), MaxSectionFields, "items")
			for j, f := range fields {
				over(fmt.Sprintf("%s.fields[%d].text", p, j), "field text", textLen(f), MaxFieldText, "characters")
			}
		case "header":
			over(p+".text.text", "header text", textLen(block["text"]), MaxHeaderText, "characters")
		case "context":
			els, _ := block["elements"].([]any)
			over(p+".elements", "context elements", len(els), MaxContextElements, "items")
		case "actions":
			els, _ := block["elements"].([]any)
			over(p+".elements", "actions elements", len(els), MaxActionsElements, "items")
		}
	}
	return l.Err()
}

// textLen is the length of a text object's text ({"type": "mrkdwn", "text": "…"}) or of a string.
func textLen(v any) int {
	switch t := v.(type) {
	case string:
		return chars(t)
	case map[string]any:
		s, _ := t["text"].(string)
		return chars(s)
	}
	return 0
}

func chars(s string) int { return utf8.RuneCountInString(s) }
