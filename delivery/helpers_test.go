package delivery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

var t0 = time.Date(2026, 2, 7, 15, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Failure kinds a scripted sender returns.
type transientErr struct {
	msg   string
	after time.Duration
}

func (e *transientErr) Error() string             { return e.msg }
func (e *transientErr) RetryAfter() time.Duration { return e.after }

type rateErr struct{ after time.Duration }

func (e *rateErr) Error() string             { return "429 too many requests" }
func (e *rateErr) RateLimited() bool         { return true }
func (e *rateErr) RetryAfter() time.Duration { return e.after }

func permanentErr(msg string) error { return fmt.Errorf("%s: %w", msg, mailbox.ErrPermanent) }

var errServer = &transientErr{msg: "HTTP 500 internal error"}

// scripted is a fake Sender: each message id gets the programmed sequence of errors, then successes
// (or always, when set). hook, when set, runs before the result is returned (blocking, recording).
type scripted struct {
	mu     sync.Mutex
	script map[string][]error
	always error
	calls  map[string]int
	order  []string
	hook   func(ctx context.Context, m *mailbox.Message) error
}

func newScripted() *scripted {
	return &scripted{script: map[string][]error{}, calls: map[string]int{}}
}

func (s *scripted) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	s.mu.Lock()
	n := s.calls[m.ID]
	s.calls[m.ID]++
	s.order = append(s.order, m.ID)
	var err error
	if n < len(s.script[m.ID]) {
		err = s.script[m.ID][n]
	} else if s.always != nil {
		err = s.always
	}
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		if herr := hook(ctx, m); herr != nil {
			return "", herr
		}
	}
	if err != nil {
		return "", err
	}
	return "pm-" + m.ID, nil
}

func (s *scripted) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

func (s *scripted) sendOrder() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

type fixture struct {
	mb    *mailbox.Mailbox
	clock *fakeClock
	snd   *scripted
	cfg   Config
	seq   int
}

// newFixture opens a mailbox with provider "test" backed by a scripted sender and a fake clock.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	mb, err := mailbox.Open(filepath.Join(t.TempDir(), "mailbox"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{mb: mb, clock: &fakeClock{t: t0}, snd: newScripted()}
	f.cfg = Config{
		Concurrency: 4,
		Retry:       RetryPolicy{MaxAttempts: 3, InitialDelay: 5 * time.Second, MaxDelay: time.Minute, Multiplier: 2, MaxAge: 24 * time.Hour},
		Providers:   map[string]Provider{"test": {Sender: f.snd}},
		Now:         f.clock.Now,
	}
	return f
}

// realClock makes the watcher use time.Now and new messages be created now.
func (f *fixture) realClock() {
	f.cfg.Now = nil
	f.clock.t = time.Now().Add(-time.Minute)
}

func (f *fixture) watcher(t *testing.T) *Watcher {
	t.Helper()
	w, err := New(f.mb, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// msg builds an unsent message to `to` on provider, created one second after the previous one.
func (f *fixture) msg(provider, to string) *mailbox.Message {
	f.seq++
	return &mailbox.Message{
		ID: fmt.Sprintf("out_%s_%012x", provider, f.seq), Provider: provider, To: []string{to},
		ContentType: "text", CorrelationID: "feat_FEAT-0001_20260207T150000Z", Direction: "outbound",
		CreatedAt: mailbox.At(f.clock.Now().Add(time.Duration(f.seq) * time.Second)), Status: mailbox.StatusPending,
		Body: fmt.Sprintf("hello %d\n", f.seq),
	}
}

func (f *fixture) enqueue(t *testing.T, m *mailbox.Message) *mailbox.Message {
	t.Helper()
	if _, err := f.mb.Enqueue(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) once(t *testing.T, w *Watcher) Summary {
	t.Helper()
	sum, err := w.Once(context.Background())
	if err != nil {
		t.Fatalf("Once: %v", err)
	}
	return sum
}

// find reads the message with id from wherever it is.
func (f *fixture) find(t *testing.T, id string) (mailbox.Entry, *mailbox.Message) {
	t.Helper()
	e, err := f.mb.Find(id)
	if err != nil {
		t.Fatalf("find %s: %v", id, err)
	}
	m, err := mailbox.Read(e.Path)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return e, m
}

func (f *fixture) mustState(t *testing.T, id, want string) *mailbox.Message {
	t.Helper()
	e, m := f.find(t, id)
	if got := StateOf(e); got != want {
		t.Fatalf("%s: state %s, want %s (error_message %q)", id, got, want, m.LastError())
	}
	return m
}

// claimFiles lists the message files left in any claim directory.
func claimFiles(t *testing.T, mb *mailbox.Mailbox) []string {
	t.Helper()
	var out []string
	root := filepath.Join(mb.StateDir(), "claims")
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// eventually polls cond every 10ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countState(t *testing.T, mb *mailbox.Mailbox, s mailbox.State) int {
	t.Helper()
	es, err := mb.List(s)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if !e.Claimed {
			n++
		}
	}
	return n
}

var errBlocked = errors.New("blocked send cancelled")
