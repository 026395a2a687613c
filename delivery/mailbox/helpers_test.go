package mailbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// t0 is a fixed, millisecond-precise instant used as created_at in test messages.
var t0 = time.Date(2026, 2, 7, 15, 2, 32, 123e6, time.UTC)

// newMailbox opens a fresh mailbox in a temporary directory.
func newMailbox(t *testing.T) *Mailbox {
	t.Helper()
	mb, err := Open(filepath.Join(t.TempDir(), "mailbox"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return mb
}

// sampleMessage is a freshly stamped message with every draft field populated.
func sampleMessage(id string) *Message {
	off := 3
	return &Message{
		ID:          id,
		Provider:    "slack",
		To:          []string{"#eng", "C0123"},
		Cc:          []string{"a@example.com"},
		Bcc:         []string{"b@example.com"},
		Subject:     "Release 1.2 is out",
		ContentType: ContentMarkdown,
		ReplyTo:     "<root@example.com>",
		ThreadKey:   "release-1.2",
		ThreadRoot:  "<root@example.com>",
		Session:     &Session{ID: "s1", Type: "group", Name: "eng", ThreadKey: "tk"},
		Participants: &Participants{
			From: &Participant{ID: "bot", Name: "Courier", Role: "bot"},
			To:   []Participant{{ID: "u1", Email: "u1@example.com", PlatformID: "U1"}},
		},
		Mentions:      []Mention{{Type: "user", Target: "U1", Name: "Ann", Offset: &off}},
		CorrelationID: "feat_FEAT-0172_20260207T150232Z",
		Options:       &Options{Silent: true, ScheduleAt: Ptr(t0.Add(time.Hour))},
		Metadata: MetadataOf(map[string]any{
			"ticket": "FEAT-0172",
			"count":  3,
			"tags":   []any{"a", "b"},
			"nested": map[string]any{"ok": true},
		}),
		Direction: "outbound",
		CreatedAt: At(t0),
		Source: &Source{Item: "FEAT-0172", Branch: "feat/FEAT-0172-x", Commit: "abc123",
			Draft: ".monoco/drafts/reply.md", DraftBlob: "def456"},
		Status: StatusPending,
		Body:   "# Hello\n\nThe release is out.\n",
	}
}

// withWatcherFields sets every watcher-updated field on m.
func withWatcherFields(m *Message) *Message {
	m.Status = StatusFailed
	m.RetryCount = 2
	m.NextRetryAt = Ptr(t0.Add(5 * time.Minute))
	m.SentAt = Ptr(t0.Add(6 * time.Minute))
	m.FailedAt = Ptr(t0.Add(7 * time.Minute))
	m.SetError("transient: HTTP 500")
	m.ProviderMessageID = "pm-1"
	m.DueSince = Ptr(t0.Add(time.Minute))
	m.Attempts = []Attempt{{At: At(t0.Add(2 * time.Minute)), Outcome: "transient", Error: "HTTP 500"},
		{At: At(t0.Add(3 * time.Minute)), Outcome: "rate_limited"}}
	return m
}

// assertMessagesEqual fails unless got and want are deeply equal, body and seal included.
func assertMessagesEqual(t *testing.T, got, want *Message) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Errorf("messages differ\ngot:  %s\nseal %q body %q\nwant: %s\nseal %q body %q\ngot  %#v\nwant %#v",
		g, got.Seal, got.Body, w, want.Seal, want.Body, got, want)
}

// mustEnqueue enqueues m and returns its outbound entry.
func mustEnqueue(t *testing.T, mb *Mailbox, m *Message) Entry {
	t.Helper()
	path, err := mb.Enqueue(m)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return Entry{State: Outbound, Provider: m.Provider, Name: filepath.Base(path), Path: path}
}

// assertNoTemp fails when anything is left in the mailbox's .tmp directory.
func assertNoTemp(t *testing.T, mb *Mailbox) {
	t.Helper()
	ents, err := os.ReadDir(mb.TmpDir())
	if err != nil {
		t.Fatalf("read .tmp: %v", err)
	}
	for _, e := range ents {
		t.Errorf(".tmp holds leftover %s", e.Name())
	}
}

// mustRead reads and parses a message file.
func mustRead(t *testing.T, path string) *Message {
	t.Helper()
	m, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return m
}

// assertMode fails unless path has exactly the permission bits want.
func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

// assertGone fails when path exists.
func assertGone(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); err == nil {
		t.Errorf("%s still exists", path)
	} else if !os.IsNotExist(err) {
		t.Errorf("stat %s: %v", path, err)
	}
}
