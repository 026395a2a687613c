package mailbox

import (
	"strings"
	"testing"
)

// A provider answer that is not UTF-8 is stored as text (U+FFFD for the bad bytes), never as a YAML
// !!binary value a person cannot read.
func TestInvalidUTF8ErrorsStoredAsText(t *testing.T) {
	t.Parallel()
	m := &Message{ID: "out_file_0123456789ab", Provider: "file", To: []string{"x"}, Direction: "outbound",
		Status: StatusPending}
	bad := "HTTP 500: \xff\xfe gateway \xc3"
	m.SetError(bad)
	m.AddAttempt(Attempt{Outcome: "transient", Error: bad})
	out, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "!!binary") {
		t.Fatalf("invalid UTF-8 was written as !!binary:\n%s", out)
	}
	want := "HTTP 500: \uFFFD gateway \uFFFD"
	if got := m.LastError(); got != want {
		t.Errorf("error_message = %q, want %q", got, want)
	}
	if got := m.Attempts[0].Error; got != want {
		t.Errorf("attempts[0].error = %q, want %q", got, want)
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if back.LastError() != want {
		t.Errorf("after a round trip error_message = %q, want %q", back.LastError(), want)
	}
}
