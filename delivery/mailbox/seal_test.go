package mailbox

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestSealKeyCreatedOnFirstUse(t *testing.T) {
	t.Parallel()
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	mb := newMailbox(t)
	keyPath := filepath.Join(mb.Root, ".state", "seal.key")
	assertGone(t, keyPath) // Open alone does not create it

	e := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatalf("seal key not created: %v", err)
	}
	assertMode(t, keyPath, 0o600)
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(key) {
		t.Errorf("seal key %q is not 32 bytes of hex", key)
	}

	// Reused: another Mailbox on the same root verifies the seal and leaves the key alone.
	mb2, err := Open(mb.Root)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := mb2.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Verify(mustRead(t, e.Path)); got != Sealed {
		t.Errorf("Verify with the reloaded key = %v", got)
	}
	mustEnqueue(t, mb2, sampleMessage("out_slack_000000000002"))
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, key) {
		t.Errorf("seal key changed: %q → %q", key, again)
	}
	leftovers, _ := filepath.Glob(filepath.Join(mb.StateDir(), ".seal-*"))
	if len(leftovers) > 0 {
		t.Errorf("temp key files left: %v", leftovers)
	}
}

func TestLoadSealerCorruptKey(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{"not hex": "zz\n", "too short": "abcd\n", "empty": ""} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seal.key")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadSealer(path); err == nil {
				t.Error("LoadSealer accepted a corrupt key")
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Errorf("corrupt key overwritten with %q", b)
			}
		})
	}
	if _, err := LoadSealer(filepath.Join(t.TempDir(), "missing-dir", "seal.key")); err == nil {
		t.Error("LoadSealer in a missing directory succeeded")
	}
}

func TestLoadSealerConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		dir := t.TempDir()
		path := filepath.Join(dir, "seal.key")
		const n = 8
		sums := make([]string, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		m := sampleMessage("out_slack_000000000001")
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, err := LoadSealer(path)
				if err != nil {
					errs[i] = err
					return
				}
				sums[i] = s.Sum(m)
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: LoadSealer: %v", round, errs[i])
			}
			if sums[i] != sums[0] {
				t.Fatalf("round %d: goroutines disagree on the key: %s vs %s", round, sums[i], sums[0])
			}
		}
		final, err := LoadSealer(path)
		if err != nil {
			t.Fatal(err)
		}
		if final.Sum(m) != sums[0] {
			t.Fatalf("round %d: the key on disk is not the one the goroutines used", round)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Fatalf("round %d: directory holds %v, want only seal.key", round, names)
		}
	}
}

// roundTrip writes m as a file and reads it back, as the watcher does between updates.
func roundTrip(t *testing.T, m *Message) *Message {
	t.Helper()
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestVerify(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	s, err := mb.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	e := mustEnqueue(t, mb, sampleMessage("out_slack_0123456789ab"))
	fresh := func() *Message { return mustRead(t, e.Path) }

	if got := s.Verify(fresh()); got != Sealed {
		t.Fatalf("enqueued message: %v", got)
	}
	if got := s.Verify(roundTrip(t, roundTrip(t, fresh()))); got != Sealed {
		t.Errorf("re-serialised message: %v", got)
	}

	later := t0.Add(time.Hour)
	watcherEdits := map[string]func(m *Message){
		"status":              func(m *Message) { m.Status = StatusSending },
		"retry_count":         func(m *Message) { m.RetryCount = 7 },
		"next_retry_at":       func(m *Message) { m.NextRetryAt = Ptr(later) },
		"sent_at":             func(m *Message) { m.SentAt = Ptr(later) },
		"failed_at":           func(m *Message) { m.FailedAt = Ptr(later) },
		"error_message":       func(m *Message) { m.SetError("transient: HTTP 502") },
		"provider_message_id": func(m *Message) { m.ProviderMessageID = "pm-42" },
		"due_since":           func(m *Message) { m.DueSince = Ptr(later) },
		"attempts": func(m *Message) {
			m.Attempts = append(m.Attempts, Attempt{At: At(later), Outcome: "transient", Error: "x"})
		},
		"all of them": func(m *Message) { withWatcherFields(m) },
	}
	for name, edit := range watcherEdits {
		t.Run("watcher edits "+name, func(t *testing.T) {
			m := fresh()
			edit(m)
			if got := s.Verify(m); got != Sealed {
				t.Errorf("in memory: %v", got)
			}
			if got := s.Verify(roundTrip(t, m)); got != Sealed {
				t.Errorf("after re-serialising: %v", got)
			}
		})
	}

	tampers := map[string]func(m *Message){
		"body":                  func(m *Message) { m.Body += "!" },
		"body trailing newline": func(m *Message) { m.Body = strings.TrimSuffix(m.Body, "\n") },
		"to":                    func(m *Message) { m.To = []string{"#attacker"} },
		"to appended":           func(m *Message) { m.To = append(m.To, "#attacker") },
		"to emptied":            func(m *Message) { m.To = nil },
		"cc":                    func(m *Message) { m.Cc = append(m.Cc, "evil@example.com") },
		"bcc":                   func(m *Message) { m.Bcc = nil },
		"provider":              func(m *Message) { m.Provider = "email" },
		"subject":               func(m *Message) { m.Subject = "Urgent: wire money" },
		"metadata value":        func(m *Message) { m.Metadata = metadataWith(m.Metadata, "ticket", "FEAT-9999") },
		"metadata added":        func(m *Message) { m.Metadata = metadataWith(m.Metadata, "x", 1) },
		"metadata removed":      func(m *Message) { m.Metadata = nil },
		"id":                    func(m *Message) { m.ID = "out_slack_ffffffffffff" },
		"created_at":            func(m *Message) { m.CreatedAt = At(t0.Add(time.Second)) },
		"content_type":          func(m *Message) { m.ContentType = ContentHTML },
		"reply_to":              func(m *Message) { m.ReplyTo = "<other@example.com>" },
		"correlation_id":        func(m *Message) { m.CorrelationID = "other" },
		"schedule_at":           func(m *Message) { m.Options.ScheduleAt = nil },
		"mentions":              func(m *Message) { m.Mentions[0].Target = "U2" },
		"participants":          func(m *Message) { m.Participants.To[0].Email = "evil@example.com" },
		"source":                func(m *Message) { m.Source.DraftBlob = "000" },
		"seal itself":           func(m *Message) { m.Seal = "v1:" + strings.Repeat("0", 64) },
		"seal garbage":          func(m *Message) { m.Seal = "v1:zz" },
	}
	for name, edit := range tampers {
		t.Run("tampered "+name, func(t *testing.T) {
			m := fresh()
			edit(m)
			if got := s.Verify(m); got != Tampered {
				t.Errorf("in memory: %v", got)
			}
			if got := s.Verify(roundTrip(t, m)); got != Tampered {
				t.Errorf("after re-serialising: %v", got)
			}
		})
	}

	t.Run("another mailbox's key", func(t *testing.T) {
		other, err := newMailbox(t).Sealer()
		if err != nil {
			t.Fatal(err)
		}
		if got := other.Verify(fresh()); got != Tampered {
			t.Errorf("Verify = %v, want tampered", got)
		}
	})
	t.Run("no seal", func(t *testing.T) {
		m := fresh()
		m.Seal = ""
		if got := s.Verify(roundTrip(t, m)); got != Unsealed {
			t.Errorf("Verify = %v, want unsealed", got)
		}
	})
	t.Run("hand-placed file", func(t *testing.T) {
		m := sampleMessage("out_slack_00000000000f")
		if got := s.Verify(m); got != Unsealed {
			t.Errorf("Verify = %v, want unsealed", got)
		}
	})
}

func TestSealStateString(t *testing.T) {
	t.Parallel()
	for st, want := range map[SealState]string{Sealed: "sealed", Unsealed: "unsealed", Tampered: "tampered"} {
		if st.String() != want {
			t.Errorf("%d.String() = %q", st, st.String())
		}
	}
}

// A message without `to` is written as `to: []`, which reads back as an empty list; the seal must
// not tell the two apart, or the message is dead-lettered as tampered after its first re-read.
func TestSealNilToSurvivesRoundTrip(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	s, err := mb.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	m := sampleMessage("out_slack_000000000001")
	m.To = nil
	e := mustEnqueue(t, mb, m)
	if got := s.Verify(mustRead(t, e.Path)); got != Sealed {
		t.Errorf("Verify after reading back = %v, want sealed", got)
	}
}

// Metadata that has no JSON form must not leave the other fields unprotected.
func TestSealUnencodableMetadata(t *testing.T) {
	t.Parallel()
	tests := map[string]any{
		"NaN":                          math.NaN(),
		"infinity":                     math.Inf(1),
		"keys that collide as strings": map[any]any{1: "x", "1": "y"},
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			mb := newMailbox(t)
			s, err := mb.Sealer()
			if err != nil {
				t.Fatal(err)
			}
			m := sampleMessage("out_slack_000000000001")
			m.Metadata = MetadataOf(map[string]any{"v": v})
			s.Seal(m)
			m.To = []string{"#attacker"}
			if got := s.Verify(m); got == Sealed {
				t.Error("a message with unencodable metadata verifies after changing to")
			}
			m.Seal = "v1:" + strings.Repeat("0", 64)
			if got := s.Verify(m); got != Tampered {
				t.Errorf("a foreign seal on it: %v, want tampered", got)
			}
			m.Seal = ""
			if _, err := mb.Enqueue(m); err == nil {
				t.Error("Enqueue accepted a message it cannot seal")
			}
			if es, _ := mb.List(); len(es) != 0 {
				t.Errorf("Enqueue left %v", es)
			}
		})
	}
}
