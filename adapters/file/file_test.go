package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
	"gopkg.in/yaml.v3"
)

func message(id string) *mailbox.Message {
	return &mailbox.Message{ID: id, Provider: Name, To: []string{"me"}, ContentType: "markdown",
		CorrelationID: "feat_FEAT-0001_20260207T150000Z", Direction: "outbound",
		CreatedAt: mailbox.At(time.Date(2026, 2, 7, 15, 0, 0, 0, time.UTC)), Status: mailbox.StatusPending,
		Subject: "Hi", Body: "# Hello\n\nbody line\n"}
}

func TestSendWritesMessageFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s, err := New(Config{}, root)
	if err != nil {
		t.Fatal(err)
	}
	m := message("out_file_0123456789ab")
	id, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, ".monoco", "outbox-local", m.ID+".md")
	if id != "file:"+want {
		t.Errorf("provider message id %q, want file:%s", id, want)
	}
	data, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mailbox.Parse(data)
	if err != nil {
		t.Fatalf("written file does not parse: %v\n%s", err, data)
	}
	if got.ID != m.ID || got.Subject != "Hi" || got.Body != m.Body {
		t.Errorf("round trip: %+v", got)
	}
	// The copy shows the sent state, not the pending message it was sent from.
	if got.Status != mailbox.StatusSent || got.SentAt == nil || got.SentAt.Before(m.CreatedAt.Time) {
		t.Errorf("copy has status %q, sent_at %v; want sent with a time", got.Status, got.SentAt)
	}
	if m.Status != mailbox.StatusPending || m.SentAt != nil {
		t.Errorf("Send changed the message: status %q, sent_at %v", m.Status, m.SentAt)
	}
	for path, mode := range map[string]os.FileMode{want: 0o600, filepath.Dir(want): 0o700} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v (%v)", path, fi.Mode().Perm(), mode, err)
		}
	}
	// A resend replaces the file; no temp files are left.
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(want))
	if len(ents) != 1 {
		t.Errorf("dir holds %d entries, want 1", len(ents))
	}
}

func TestNewDir(t *testing.T) {
	t.Parallel()
	abs := t.TempDir()
	for _, tc := range []struct {
		cfg  Config
		root string
		want string
	}{
		{Config{}, "/repo", "/repo/.monoco/outbox-local"},
		{Config{Dir: "out"}, "/repo", "/repo/out"},
		{Config{Dir: abs}, "/repo", abs},
	} {
		s, err := New(tc.cfg, tc.root)
		if err != nil || s.Dir() != tc.want {
			t.Errorf("New(%+v, %q) dir %q, %v; want %q", tc.cfg, tc.root, s.Dir(), err, tc.want)
		}
	}
	if _, err := New(Config{}, ""); err == nil {
		t.Error("relative dir without a root accepted")
	}
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	s, _ := New(Config{Dir: t.TempDir()}, "")
	_, err := s.Send(context.Background(), message("../escape"))
	if !errors.Is(err, mailbox.ErrPermanent) {
		t.Errorf("bad id: %v, want permanent", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Send(ctx, message("out_file_0123456789ab")); err == nil || errors.Is(err, mailbox.ErrPermanent) ||
		!errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want transient", err)
	}
	blocker := filepath.Join(t.TempDir(), "f")
	os.WriteFile(blocker, nil, 0o600)
	s2, _ := New(Config{Dir: filepath.Join(blocker, "sub")}, "")
	if _, err := s2.Send(context.Background(), message("out_file_0123456789ab")); err == nil || errors.Is(err, mailbox.ErrPermanent) {
		t.Errorf("unwritable dir: %v, want transient", err)
	}
}

func TestConfigYAML(t *testing.T) {
	t.Parallel()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader("dir: x\nrate: 5/s\nthrottle_wait: 1m\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil || c.Dir != "x" || c.Rate != "5/s" || c.ThrottleWait != "1m" {
		t.Errorf("%+v %v", c, err)
	}
	if Check(message("x")) != nil || Secrets(c) != nil {
		t.Error("Check or Secrets")
	}
}
