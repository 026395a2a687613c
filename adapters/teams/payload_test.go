package teams

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestTextBlocks(t *testing.T) {
	t.Parallel()
	md := "# Release\n\nFirst line\nsecond line with **bold**.\n\n## Changes\n- one\n- two\n1. three\n\n" +
		"```go\nx := 1\n\ny := 2\n```\n> quoted\n### Small\ntail\n"
	tb := func(text string, kv ...any) map[string]any {
		b := map[string]any{"type": "TextBlock", "text": text, "wrap": true}
		for i := 0; i < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	want := []any{
		tb("Release", "weight", "Bolder", "size", "Large"),
		tb("First line\nsecond line with **bold**."),
		tb("Changes", "weight", "Bolder", "size", "Medium"),
		tb("- one\n- two\n1. three"),
		tb("x := 1\n\ny := 2", "fontType", "Monospace"),
		tb("quoted", "isSubtle", true),
		tb("Small", "weight", "Bolder", "size", "Default"),
		tb("tail"),
	}
	if diff := cmp.Diff(want, TextBlocks(md)); diff != "" {
		t.Errorf("TextBlocks (-want +got):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ct, body string
		field          string
	}{
		{"text", mailbox.ContentText, "hi", ""},
		{"markdown", mailbox.ContentMarkdown, "# hi", ""},
		{"html refused", mailbox.ContentHTML, "<p>hi</p>", "content_type"},
		{"adaptive card", mailbox.ContentCard, `{"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "x"}]}`, ""},
		{"adaptive card yaml", mailbox.ContentCard, "type: AdaptiveCard\nbody:\n  - {type: TextBlock, text: x}\n", ""},
		{"message envelope", mailbox.ContentCard, `{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard", "body": []}}]}`, ""},
		{"envelope without adaptive card", mailbox.ContentCard, `{"type": "message", "attachments": []}`, "body"},
		{"MessageCard refused", mailbox.ContentCard, `{"@type": "MessageCard", "text": "x"}`, "body"},
		{"card without body", mailbox.ContentCard, `{"type": "AdaptiveCard"}`, "body"},
		{"just under 28 KB", mailbox.ContentText, strings.Repeat("x", MaxPayloadBytes-400), ""},
		{"over 28 KB", mailbox.ContentText, strings.Repeat("x", MaxPayloadBytes), "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(&mailbox.Message{ContentType: tc.ct, Body: tc.body})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Check = %v", err)
				}
				return
			}
			var ce *adapters.CheckError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("Check = %v, want a CheckError on %q", err, tc.field)
			}
		})
	}
}

// TestGoldenPayloads pins the envelope posted for each content type.
func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    *mailbox.Message
	}{
		{"text", &mailbox.Message{ContentType: mailbox.ContentText, Body: "Deploy <prod> & done\n"}},
		{"markdown", &mailbox.Message{ContentType: mailbox.ContentMarkdown, Subject: "Release 1.2",
			Body: "## Changes\n\n- **faster** sync ([#12](https://git.example.com/pr/12))\n\nThanks @Jane!\n",
			Mentions: []mailbox.Mention{{Type: "user", Target: "jane@contoso.onmicrosoft.com", Name: "Jane"},
				{Type: "user", Target: "00000000-0000-0000-0000-000000000001", Name: "Ops Bot"}, {Type: "all"}}}},
		{"card", &mailbox.Message{ContentType: mailbox.ContentCard,
			Body: "type: AdaptiveCard\nbody:\n  - type: TextBlock\n    text: Build <b>412</b> & more\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := payload(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden(t, filepath.Join("testdata", tc.name+".json"), pretty.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
