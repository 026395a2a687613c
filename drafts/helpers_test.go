package drafts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// testConfig configures dingtalk (fan-out, aliases ops and dev), lark (fan-out, alias eng, with a
// check that refuses bodies containing "TOO LONG"), and email. slack is known but not configured.
func testConfig() Config {
	return Config{
		Providers: map[string]ProviderInfo{
			"dingtalk": {Channels: []string{"ops", "dev"}, Fanout: true},
			"lark":     {Channels: []string{"eng"}, Fanout: true},
			"email":    {},
		},
		Checks: map[string]func(*mailbox.Message) error{
			"lark": func(m *mailbox.Message) error {
				if strings.Contains(m.Body, "TOO LONG") {
					return errors.New("body: exceeds lark's 30000-byte text limit")
				}
				return nil
			},
		},
	}
}

func newValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := NewValidator(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newMailbox(t testing.TB) *mailbox.Mailbox {
	t.Helper()
	mb, err := mailbox.Open(filepath.Join(t.TempDir(), "mailbox"))
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

// clock returns a fixed time that advances by step on every call.
func clock(start time.Time, step time.Duration) func() time.Time {
	t := start.Add(-step)
	return func() time.Time { t = t.Add(step); return t }
}

var t0 = time.Date(2026, 2, 7, 15, 2, 32, 0, time.UTC)

func newDeliverer(t testing.TB, mb *mailbox.Mailbox) *Deliverer {
	t.Helper()
	return &Deliverer{Mailbox: mb, Validator: newValidator(t), Now: clock(t0, 0),
		Info: StampInfo{Item: Item{ID: "FEAT-0172", Category: "feat", Dir: "Issues/Features/work/FEAT-0172/drafts"},
			Branch: "feat/FEAT-0172-reply", Commit: strings.Repeat("ab", 20)}}
}

const draftDir = "Issues/Features/work/FEAT-0172/drafts/"

func input(name, content string) Input {
	return Input{Path: draftDir + name, Content: []byte(content)}
}

// outbound lists the message files in outbound/ (and claims), read back.
func outbound(t testing.TB, mb *mailbox.Mailbox) []*mailbox.Message {
	t.Helper()
	ents, err := mb.List(mailbox.Outbound)
	if err != nil {
		t.Fatal(err)
	}
	var out []*mailbox.Message
	for _, e := range ents {
		m, err := mailbox.Read(e.Path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func idKey(t testing.TB, mb *mailbox.Mailbox) []byte {
	t.Helper()
	k, err := mb.IDKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
