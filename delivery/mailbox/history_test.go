package mailbox

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// A draft at the frontmatter limit, once stamped and carrying a full history of long failures, still
// reads back: neither the history nor error_message can push it out of what Parse accepts.
func TestLargeMessageWithFullHistoryReadsBack(t *testing.T) {
	t.Parallel()
	m := withWatcherFields(sampleMessage("out_slack_000000000001"))
	m.Metadata = MetadataOf(map[string]any{"blob": strings.Repeat("m", MaxFrontmatter-200)})
	long := strings.Repeat("é", 4000) // 8000 bytes: cut at a rune boundary
	m.Attempts = nil
	for i := range 3000 {
		m.AddAttempt(Attempt{At: At(t0.Add(time.Duration(i) * time.Minute)), Outcome: "rate_limited", Error: long})
	}
	m.SetError(long)
	if len(m.Attempts) != KeptAttempts || !m.Attempts[0].At.Equal(t0) ||
		!m.Attempts[KeptAttempts-1].At.Equal(t0.Add(2999*time.Minute)) || !m.Attempts[1].At.Equal(t0.Add(2981*time.Minute)) {
		t.Fatalf("kept %d attempts: first %v, second %v, last %v", len(m.Attempts), m.Attempts[0].At,
			m.Attempts[1].At, m.Attempts[len(m.Attempts)-1].At)
	}
	for _, a := range m.Attempts {
		if len(a.Error) > MaxAttemptError || !utf8.ValidString(a.Error) || !strings.HasSuffix(a.Error, "…") {
			t.Fatalf("attempt error not cut: %d bytes, valid UTF-8 %v", len(a.Error), utf8.ValidString(a.Error))
		}
	}
	if len(m.LastError()) > MaxErrorMessage || !utf8.ValidString(m.LastError()) {
		t.Fatalf("error_message not cut: %d bytes", len(m.LastError()))
	}
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse of a full-size message: %v", err)
	}
	assertMessagesEqual(t, back, m)
}
