package slack

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// TestBlockLimits checks each Block Kit limit at its boundary: n passes, n+1 fails, naming the block
// and the body line it is on.
func TestBlockLimits(t *testing.T) {
	t.Parallel()
	items := func(n int, item string) string {
		return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
	}
	section := func(n int) string {
		return `{"type": "section", "text": {"type": "mrkdwn", "text": "` + strings.Repeat("é", n) + `"}}`
	}
	header := func(n int) string {
		return `{"type": "header", "text": {"type": "plain_text", "text": "` + strings.Repeat("h", n) + `"}}`
	}
	fields := func(n, size int) string {
		return `{"type": "section", "fields": [` + items(n, `{"type": "mrkdwn", "text": "`+strings.Repeat("f", size)+`"}`) + `]}`
	}
	blockID := func(n int) string { return `{"type": "divider", "block_id": "` + strings.Repeat("b", n) + `"}` }
	context := func(n int) string {
		return `{"type": "context", "elements": [` + items(n, `{"type": "plain_text", "text": "c"}`) + `]}`
	}
	actions := func(n int) string {
		return `{"type": "actions", "elements": [` +
			items(n, `{"type": "button", "text": {"type": "plain_text", "text": "b"}, "value": "v"}`) + `]}`
	}
	for _, tc := range []struct {
		name  string
		block func(n int) string
		limit int
		want  string
	}{
		{"section text", section, MaxSectionText, "blocks[1].text.text: section text is 3001 characters; Slack accepts at most 3000"},
		{"header text", header, MaxHeaderText, "blocks[1].text.text: header text is 151 characters; Slack accepts at most 150"},
		{"section fields", func(n int) string { return fields(n, 1) }, MaxSectionFields, "blocks[1].fields: section fields is 11 items"},
		{"field text", func(n int) string { return fields(1, n) }, MaxFieldText, "blocks[1].fields[0].text: field text is 2001 characters"},
		{"block_id", blockID, MaxBlockID, "blocks[1].block_id: block_id is 256 characters"},
		{"context elements", context, MaxContextElements, "blocks[1].elements: context elements is 11 items"},
		{"actions elements", actions, MaxActionsElements, "blocks[1].elements: actions elements is 26 items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := func(n int) *mailbox.Message {
				return &mailbox.Message{ContentType: mailbox.ContentCard,
					Body: "{\"blocks\": [\n  {\"type\": \"divider\"},\n  " + tc.block(n) + "\n]}\n"}
			}
			if err := Check(card(tc.limit)); err != nil {
				t.Errorf("at the limit (%d): %v", tc.limit, err)
			}
			err := Check(card(tc.limit + 1))
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

// TestBlockLimitsAllReported: every block over a limit is reported, with its own line (YAML body).
func TestBlockLimitsAllReported(t *testing.T) {
	t.Parallel()
	body := fmt.Sprintf("blocks:\n  - type: header\n    text: {type: plain_text, text: %s}\n"+
		"  - type: divider\n  - type: section\n    text:\n      type: mrkdwn\n      text: %s\n",
		strings.Repeat("h", MaxHeaderText+1), strings.Repeat("s", MaxSectionText+1))
	err := Check(&mailbox.Message{ContentType: mailbox.ContentCard, Body: body})
	j, ok := err.(interface{ Unwrap() []error })
	if !ok || len(j.Unwrap()) != 2 {
		t.Fatalf("got %v, want two problems", err)
	}
	for i, want := range []struct {
		line int
		msg  string
	}{{3, "blocks[0].text.text: header text"}, {8, "blocks[2].text.text: section text"}} {
		le, _ := j.Unwrap()[i].(*adapters.LimitError)
		if le == nil || le.Line != want.line || !strings.HasPrefix(le.Msg, want.msg) {
			t.Errorf("problem %d = %#v, want line %d, %q", i, le, want.line, want.msg)
		}
	}
}
