package slack

import (
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

func TestMrkdwn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"**bold** and __bold__", "*bold* and *bold*"},
		{"*em* and _em_", "_em_ and _em_"},
		{"~~gone~~", "~gone~"},
		{"see [the log](https://ci.example.com/a?b=1&c=2)", "see <https://ci.example.com/a?b=1&amp;c=2|the log>"},
		{"<https://example.com>", "<https://example.com>"},
		{"a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"},
		{"# Release 1.2", "*Release 1.2*"},
		{"Title\n=====\nbody", "*Title*\nbody"},
		{"- one\n* two\n  + three", "• one\n• two\n  • three"},
		{"- [ ] todo\n- [x] done", "• ☐ todo\n• ☑ done"},
		{"1. first\n2) second", "1. first\n2) second"},
		{"> quoted **x**", "> quoted *x*"},
		{"`a <b> **c**`", "`a &lt;b&gt; **c**`"},
		{"```\nif a < b {\n**x**\n```", "```\nif a &lt; b {\n**x**\n```"},
		{"snake_case_name stays", "snake_case_name stays"},
		{"2 * 3 * 4", "2 * 3 * 4"},
		{`\*not em\*`, "*not em*"},
		{"---", "──────────"},
	} {
		if got := Mrkdwn(tc.in); got != tc.want {
			t.Errorf("Mrkdwn(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	blocks := func(n int) string {
		return `{"blocks": [` + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, n), ",") + `]}`
	}
	for _, tc := range []struct {
		name, ct, body string
		field          string // "" = accepted
	}{
		{"text", mailbox.ContentText, "hi", ""},
		{"markdown", mailbox.ContentMarkdown, "**hi**", ""},
		{"html refused", mailbox.ContentHTML, "<p>hi</p>", "content_type"},
		{"empty text refused (no_text)", mailbox.ContentText, " \n", "body"},
		{"empty markdown refused (no_text)", mailbox.ContentMarkdown, "\n", "body"},
		{"text at the limit", mailbox.ContentText, strings.Repeat("é", MaxTextChars), ""},
		{"text over the limit", mailbox.ContentText, strings.Repeat("x", MaxTextChars+1), "body"},
		{"escaping counts", mailbox.ContentText, strings.Repeat("<", MaxTextChars/4+1), "body"},
		{"card 50 blocks", mailbox.ContentCard, blocks(50), ""},
		{"card 51 blocks", mailbox.ContentCard, blocks(51), "body"},
		{"card yaml", mailbox.ContentCard, "blocks:\n  - type: divider\n", ""},
		{"card without blocks", mailbox.ContentCard, `{"text": "x"}`, "body"},
		{"card block without type", mailbox.ContentCard, `{"blocks": [{"text": "x"}]}`, "body"},
		{"card not an object", mailbox.ContentCard, `[1, 2]`, "body"},
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

// TestGoldenPayloads pins the JSON sent for each content type (chat.postMessage form).
func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	offset := 0
	for _, tc := range []struct {
		name string
		m    *mailbox.Message
	}{
		{"text", &mailbox.Message{ContentType: mailbox.ContentText, Body: "Deploy <prod> & **done**\n",
			Mentions: []mailbox.Mention{{Type: "user", Target: "U012AB3CD", Name: "jane"}}}},
		{"markdown", &mailbox.Message{ContentType: mailbox.ContentMarkdown, Subject: "Release 1.2",
			Body: "## Changes\n\n- **faster** sync ([#12](https://git.example.com/pr/12))\n- fixed `a<b`\n\nThanks @jane!\n",
			Mentions: []mailbox.Mention{{Type: "user", Target: "U012AB3CD", Name: "jane"}, {Type: "all"},
				{Type: "role", Target: "SAZ94GDB8", Offset: &offset}}}},
		{"card", &mailbox.Message{ContentType: mailbox.ContentCard, Subject: "Build #412",
			Body: `{"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Build #412* is green"}}], "unfurl_links": false}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := render(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			p["channel"] = "C0123ABCD"
			got, err := adapters.MarshalJSON(p)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tc.name+".json"), append(got, '\n'))
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
