package mailbox

import (
	"bytes"
	"strings"
	"testing"
)

func TestMarshalParseRoundTrip(t *testing.T) {
	t.Parallel()
	minimal := &Message{ID: "out_file_000000000001", Provider: "file", To: []string{"x"},
		ContentType: ContentText, CorrelationID: "c", Direction: "outbound", CreatedAt: At(t0),
		Status: StatusPending}
	sealed := sampleMessage("out_slack_0123456789ab")
	sealed.Seal = "v1:" + strings.Repeat("ab", 32)
	tests := []struct {
		name string
		m    *Message
	}{
		{"minimal", minimal},
		{"every draft field", sampleMessage("out_slack_0123456789ab")},
		{"every watcher field", withWatcherFields(sampleMessage("out_slack_0123456789ab"))},
		{"with seal", sealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Marshal(tt.m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, data)
			}
			assertMessagesEqual(t, got, tt.m)
			again, err := Marshal(got)
			if err != nil {
				t.Fatalf("Marshal again: %v", err)
			}
			if !bytes.Equal(again, data) {
				t.Errorf("re-serialising changed the file\nfirst:\n%s\nsecond:\n%s", data, again)
			}
		})
	}
}

func TestBodyRoundTrip(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"empty":                   "",
		"no trailing newline":     "just text",
		"CRLF":                    "line one\r\nline two\r\n",
		"lone CR":                 "a\rb\r",
		"lines of dashes":         "intro\n---\nmiddle\n---\n",
		"leading dashes":          "---\nafter\n",
		"only dashes":             "---",
		"dashes with CR":          "---\r\n",
		"blank lines":             "\n\n\n",
		"leading spaces and tabs": "  \tindented\n",
		"unicode":                 "你好，世界 ✉️ 🚀 — ünïcödé\n",
		"frontmatter look-alike":  "---\nid: evil\nto: [x]\n---\nbody\n",
		"NUL byte":                "a\x00b",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			m := sampleMessage("out_slack_0123456789ab")
			m.Body = body
			data, err := Marshal(m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.HasSuffix(data, []byte("\n---\n"+body)) {
				t.Errorf("file does not end with the closing line and the body verbatim:\n%q", data)
			}
			got, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Body != body {
				t.Errorf("body = %q, want %q", got.Body, body)
			}
			assertMessagesEqual(t, got, m)
		})
	}
}

func TestParseHandWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		id       string
		body     string
		bodyLine int
	}{
		{"LF", "---\nid: a\n---\nbody\n", "a", "body\n", 4},
		{"CRLF", "---\r\nid: a\r\nto: [x]\r\n---\r\nbody\r\nmore\r\n", "a", "body\r\nmore\r\n", 5},
		{"closing line at EOF", "---\nid: a\n---", "a", "", 4},
		{"closing line with CR at EOF", "---\nid: a\n---\r", "a", "", 4},
		{"body starting with dashes", "---\nid: a\n---\n---\n---\n", "a", "---\n---\n", 4},
		{"indented dashes in a block scalar", "---\nid: a\nsubject: |\n  x\n  ---\n  y\n---\nb", "a", "b", 8},
		{"dashes with trailing text stay in frontmatter", "---\nid: a\nsubject: '--- x'\n---\nb", "a", "b", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, line, err := SplitFrontmatter([]byte(tt.in))
			if err != nil {
				t.Fatalf("SplitFrontmatter: %v", err)
			}
			if line != tt.bodyLine {
				t.Errorf("bodyLine = %d, want %d", line, tt.bodyLine)
			}
			m, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.ID != tt.id || m.Body != tt.body {
				t.Errorf("got id %q body %q, want id %q body %q", m.ID, m.Body, tt.id, tt.body)
			}
		})
	}
}

func TestFrontmatterValuesContainingDashes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(m *Message)
	}{
		{"subject ---", func(m *Message) { m.Subject = "---" }},
		{"subject --- with CR", func(m *Message) { m.Subject = "---\r" }},
		{"reply_to ---", func(m *Message) { m.ReplyTo = "---" }},
		{"to entry ---", func(m *Message) { m.To = []string{"---", "x"} }},
		{"multi-line metadata with a line ---", func(m *Message) {
			m.Metadata = MetadataOf(map[string]any{"note": "first\n---\nlast\n"})
		}},
		{"metadata line --- without trailing newline", func(m *Message) {
			m.Metadata = MetadataOf(map[string]any{"note": "first\n---"})
		}},
		{"metadata key ---", func(m *Message) { m.Metadata = MetadataOf(map[string]any{"---": "---"}) }},
		{"multi-line subject", func(m *Message) { m.Subject = "a\n---\nb" }},
		{"error_message with ---", func(m *Message) { m.SetError("boom\n---\nmore") }},
		{"attempt error with ---", func(m *Message) {
			m.Attempts = []Attempt{{At: At(t0), Outcome: "transient", Error: "---\n---"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleMessage("out_slack_0123456789ab")
			tt.edit(m)
			m.Body = "the real body\n"
			data, err := Marshal(m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, data)
			}
			assertMessagesEqual(t, got, m)
		})
	}
}

func TestMarshalCanonicalKeyOrder(t *testing.T) {
	t.Parallel()
	m := withWatcherFields(sampleMessage("out_slack_0123456789ab"))
	m.Seal = "v1:00"
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "provider", "to", "cc", "bcc", "subject", "content_type", "reply_to",
		"thread_key", "thread_root", "session", "participants", "mentions", "correlation_id", "options",
		"metadata", "direction", "created_at", "source", "status", "retry_count", "next_retry_at", "sent_at",
		"failed_at", "error_message", "provider_message_id", "due_since", "attempts", "seal"}
	if got := topLevelKeys(t, data); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("key order\ngot  %v\nwant %v", got, want)
	}

	// A file written by hand in another order is re-serialised in the canonical order.
	shuffled := "---\nseal: v1:00\nstatus: pending\nbody_ignored_by_nobody: x\n---\n"
	if _, err := Parse([]byte(shuffled)); err == nil {
		t.Fatal("an unknown key parsed")
	}
	shuffled = "---\nstatus: pending\ncreated_at: 2026-02-07T15:02:32.123Z\ndirection: outbound\n" +
		"correlation_id: c\ncontent_type: text\nto: [x]\nprovider: file\nid: a\n---\nb"
	p, err := Parse([]byte(shuffled))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	wantOut := "---\nid: a\nprovider: file\nto:\n  - x\ncontent_type: text\ncorrelation_id: c\n" +
		"direction: outbound\ncreated_at: \"2026-02-07T15:02:32.123Z\"\nstatus: pending\nretry_count: 0\n" +
		"next_retry_at: null\nsent_at: null\nerror_message: null\n---\nb"
	if string(out) != wantOut {
		t.Errorf("re-serialised\n%s\nwant\n%s", out, wantOut)
	}
}

// topLevelKeys lists the top-level frontmatter keys of a message file in order.
func topLevelKeys(t *testing.T, data []byte) []string {
	t.Helper()
	front, _, _, err := SplitFrontmatter(data)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, line := range strings.Split(string(front), "\n") {
		if line == "" || line[0] == ' ' || line[0] == '-' {
			continue
		}
		k, _, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("unexpected top-level line %q", line)
		}
		keys = append(keys, k)
	}
	return keys
}
