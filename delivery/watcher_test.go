package delivery

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/delivery/mailbox"
)

func TestSuccessArchives(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	sum := f.once(t, f.watcher(t))
	if diff := cmp.Diff(Summary{Sent: 1}, sum); diff != "" {
		t.Fatalf("summary (-want +got):\n%s", diff)
	}
	got := f.mustState(t, m.ID, StateSent)
	if got.Status != mailbox.StatusSent || got.ProviderMessageID != "pm-"+m.ID || got.RetryCount != 0 {
		t.Errorf("archived: status %s, provider_message_id %q, retry_count %d", got.Status, got.ProviderMessageID, got.RetryCount)
	}
	if got.SentAt == nil || !got.SentAt.Equal(t0) {
		t.Errorf("sent_at = %v, want %v", got.SentAt, t0)
	}
	e, _ := f.find(t, m.ID)
	raw, _ := os.ReadFile(e.Path)
	if !regexp.MustCompile(`(?m)^sent_at: "?2026-02-07T15:00:00(\.\d+)?Z"?$`).Match(raw) {
		t.Errorf("sent_at is not RFC 3339 UTC with Z:\n%s", raw)
	}
	if len(got.Attempts) != 1 || got.Attempts[0].Outcome != "sent" {
		t.Errorf("attempts = %+v", got.Attempts)
	}
	if got.Body != m.Body {
		t.Errorf("body changed: %q", got.Body)
	}
}

func TestTransientThenSuccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	f.snd.script[m.ID] = []error{errServer, errServer}
	w := f.watcher(t)

	if sum := f.once(t, w); sum != (Summary{Deferred: 1}) {
		t.Fatalf("first run: %+v", sum)
	}
	got := f.mustState(t, m.ID, StatePending)
	wait := got.NextRetryAt.Sub(t0)
	if got.RetryCount != 1 || wait < 2500*time.Millisecond || wait > 5*time.Second {
		t.Fatalf("after 1st failure: retry_count %d, wait %s (want 1, in [2.5s,5s])", got.RetryCount, wait)
	}
	if got.LastError() != "HTTP 500 internal error" || got.Status != mailbox.StatusPending {
		t.Errorf("error_message %q status %s", got.LastError(), got.Status)
	}
	if sum := f.once(t, w); sum != (Summary{}) || f.snd.count(m.ID) != 1 {
		t.Fatalf("sent again before next_retry_at: %+v, %d sends", sum, f.snd.count(m.ID))
	}
	f.clock.Advance(5 * time.Second)
	f.once(t, w)
	got = f.mustState(t, m.ID, StatePending)
	if wait := got.NextRetryAt.Sub(f.clock.Now()); got.RetryCount != 2 || wait < 5*time.Second || wait > 10*time.Second {
		t.Fatalf("after 2nd failure: retry_count %d, wait %s (want 2, in [5s,10s])", got.RetryCount, wait)
	}
	f.clock.Advance(10 * time.Second)
	if sum := f.once(t, w); sum != (Summary{Sent: 1}) {
		t.Fatalf("third run: %+v", sum)
	}
	got = f.mustState(t, m.ID, StateSent)
	if got.RetryCount != 2 || f.snd.count(m.ID) != 3 || got.ErrorMessage != nil {
		t.Errorf("retry_count %d, sends %d, error_message %v; want 2, 3, null", got.RetryCount, f.snd.count(m.ID), got.ErrorMessage)
	}
	var outcomes []string
	for _, a := range got.Attempts {
		outcomes = append(outcomes, a.Outcome)
	}
	if diff := cmp.Diff([]string{"transient", "transient", "sent"}, outcomes); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

// drive runs Once and advances the clock by step, n times.
func (f *fixture) drive(t *testing.T, w *Watcher, n int, step time.Duration) Summary {
	var total Summary
	for range n {
		s := f.once(t, w)
		total.Sent += s.Sent
		total.Deferred += s.Deferred
		total.DeadLettered += s.DeadLettered
		f.clock.Advance(step)
	}
	return total
}

func TestAttemptsExhausted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	f.snd.always = errServer
	w := f.watcher(t)
	sum := f.drive(t, w, 10, time.Hour)
	if f.snd.count(m.ID) != 3 {
		t.Fatalf("sends = %d, want exactly 3 (max_attempts 3)", f.snd.count(m.ID))
	}
	if sum != (Summary{Deferred: 2, DeadLettered: 1}) {
		t.Errorf("summary %+v", sum)
	}
	got := f.mustState(t, m.ID, StateFailed)
	if got.Status != mailbox.StatusFailed || got.FailedAt == nil || got.RetryCount != 3 || got.NextRetryAt != nil {
		t.Errorf("dead letter: status %s failed_at %v retry_count %d next_retry_at %v", got.Status, got.FailedAt, got.RetryCount, got.NextRetryAt)
	}
	if want := "gave up after 3 attempts: HTTP 500 internal error"; got.LastError() != want {
		t.Errorf("error_message %q, want %q", got.LastError(), want)
	}
}

func TestPermanentRedacted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.Redact = func(s string) string { return strings.ReplaceAll(s, "tok-123", "[redacted]") }
	m := f.enqueue(t, f.msg("test", "ops"))
	f.snd.script[m.ID] = []error{permanentErr("bad access_token tok-123")}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	got := f.mustState(t, m.ID, StateFailed)
	if f.snd.count(m.ID) != 1 || got.FailedAt == nil || got.Status != mailbox.StatusFailed {
		t.Fatalf("sends %d failed_at %v status %s", f.snd.count(m.ID), got.FailedAt, got.Status)
	}
	if strings.Contains(got.LastError(), "tok-123") || !strings.Contains(got.LastError(), "[redacted]") {
		t.Errorf("error_message not redacted: %q", got.LastError())
	}
	e, _ := f.find(t, m.ID)
	raw, _ := os.ReadFile(e.Path)
	if strings.Contains(string(raw), "tok-123") {
		t.Errorf("secret in dead letter file:\n%s", raw)
	}
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		after    time.Duration
		throttle time.Duration
		want     time.Duration
	}{
		{"retry-after", 2 * time.Minute, 10 * time.Minute, 2 * time.Minute},
		{"throttle_wait", 0, 7 * time.Minute, 7 * time.Minute},
		{"default", 0, 0, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.cfg.Providers["test"] = Provider{Sender: f.snd, ThrottleWait: tc.throttle}
			m := f.enqueue(t, f.msg("test", "ops"))
			next := f.enqueue(t, f.msg("test", "ops"))
			f.snd.script[m.ID] = []error{&rateErr{after: tc.after}, &rateErr{after: tc.after}, &rateErr{after: tc.after}, &rateErr{after: tc.after}}
			w := f.watcher(t)
			if sum := f.once(t, w); sum != (Summary{Deferred: 1}) {
				t.Fatalf("summary %+v", sum)
			}
			got := f.mustState(t, m.ID, StatePending)
			if got.RetryCount != 0 || got.NextRetryAt == nil || !got.NextRetryAt.Equal(t0.Add(tc.want)) {
				t.Fatalf("retry_count %d next_retry_at %v, want 0 and now+%s", got.RetryCount, got.NextRetryAt, tc.want)
			}
			if n := f.snd.count(next.ID); n != 0 {
				t.Errorf("the throttled channel kept sending: %d sends of the next message", n)
			}
			// Four rate limits in a row (more than max_attempts 3) never dead-letter it.
			f.clock.Advance(tc.want)
			f.drive(t, w, 5, tc.want)
			got = f.mustState(t, m.ID, StateSent)
			if got.RetryCount != 0 || f.snd.count(m.ID) != 5 || len(got.Attempts) != 5 || got.Attempts[0].Outcome != "rate_limited" {
				t.Errorf("retry_count %d sends %d attempts %+v", got.RetryCount, f.snd.count(m.ID), got.Attempts)
			}
			f.mustState(t, next.ID, StateSent)
		})
	}
}

func TestRetryAfterLongerThanBackoffWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	f.snd.script[m.ID] = []error{&transientErr{msg: "503", after: time.Hour}}
	f.once(t, f.watcher(t))
	got := f.mustState(t, m.ID, StatePending)
	if !got.NextRetryAt.Equal(t0.Add(time.Hour)) || got.RetryCount != 1 {
		t.Errorf("next_retry_at %v retry_count %d, want now+1h, 1", got.NextRetryAt, got.RetryCount)
	}
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
	}{{"transient", errServer}, {"rate limited", &rateErr{after: time.Second}}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.cfg.Retry.MaxAge = time.Hour
			m := f.msg("test", "ops")
			m.CreatedAt = mailbox.At(t0.Add(-2 * time.Hour))
			f.enqueue(t, m)
			f.snd.always = tc.err
			if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
				t.Fatalf("summary %+v", sum)
			}
			got := f.mustState(t, m.ID, StateFailed)
			if f.snd.count(m.ID) != 1 || !strings.Contains(got.LastError(), "max_age") {
				t.Errorf("sends %d, error_message %q", f.snd.count(m.ID), got.LastError())
			}
		})
	}
}

func TestRefusedWithoutSending(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, f *fixture) string // returns the id
		want    string
	}{
		{"unsealed file dropped in", func(t *testing.T, f *fixture) string {
			m := f.msg("test", "ops")
			data, _ := mailbox.Marshal(m)
			writeRaw(t, f.mb, "test", mailbox.FileName(m), data)
			return m.ID
		}, "tampered: seal missing"},
		{"body edited after enqueue", func(t *testing.T, f *fixture) string {
			m := f.enqueue(t, f.msg("test", "ops"))
			e, _ := f.find(t, m.ID)
			raw, _ := os.ReadFile(e.Path)
			os.WriteFile(e.Path, []byte(strings.Replace(string(raw), "hello", "HELLO", 1)), 0o600)
			return m.ID
		}, "tampered: seal does not match"},
		{"sealed file copied under another name", func(t *testing.T, f *fixture) string {
			m := f.enqueue(t, f.msg("test", "ops"))
			e, _ := f.find(t, m.ID)
			raw, _ := os.ReadFile(e.Path)
			os.Remove(e.Path)
			writeRaw(t, f.mb, "test", "20260207T150000_out_test_copy.md", raw)
			return "out_test_copy"
		}, "tampered: id"},
		{"unconfigured provider", func(t *testing.T, f *fixture) string {
			return f.enqueue(t, f.msg("nosuch", "ops")).ID
		}, "provider nosuch is not configured"},
		{"unsealed file in an unknown provider's directory: both reasons", func(t *testing.T, f *fixture) string {
			m := f.msg("discord", "ops")
			data, _ := mailbox.Marshal(m)
			writeRaw(t, f.mb, "discord", mailbox.FileName(m), data)
			return m.ID
		}, "provider discord is not configured; tampered: seal missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := tc.prepare(t, f)
			if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
				t.Fatalf("summary %+v", sum)
			}
			if len(f.snd.sendOrder()) != 0 {
				t.Fatalf("sent %v", f.snd.sendOrder())
			}
			got := f.mustState(t, id, StateFailed)
			if !strings.Contains(got.LastError(), tc.want) || got.FailedAt == nil || got.Status != mailbox.StatusFailed {
				t.Errorf("error_message %q (want %q), failed_at %v, status %s", got.LastError(), tc.want, got.FailedAt, got.Status)
			}
		})
	}
}

func writeRaw(t *testing.T, mb *mailbox.Mailbox, provider, name string, data []byte) string {
	t.Helper()
	dir, err := mb.EnsureDir(mailbox.Outbound, provider)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnparseableDeadLetteredWithSidecar(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	writeRaw(t, f.mb, "test", "20260207T150000_out_test_garbage.md", []byte("no frontmatter here\n"))
	if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	side := filepath.Join(f.mb.Dir(mailbox.DeadLetter, "test"), ".20260207T150000_out_test_garbage.md.reason")
	reason, err := os.ReadFile(side)
	if err != nil || !strings.Contains(string(reason), "unreadable") || !strings.Contains(string(reason), "frontmatter") {
		t.Fatalf("sidecar %q, %v", reason, err)
	}
	items, err := ListQueue(f.mb, QueueFilter{State: StateFailed})
	if err != nil || len(items) != 1 || items[0].Status != StatusUnreadable || items[0].ErrorMessage == nil ||
		*items[0].ErrorMessage != strings.TrimSpace(string(reason)) {
		t.Fatalf("queue %+v, %v", items, err)
	}
}

func TestScheduleAtNotSentUntilDue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.msg("test", "ops")
	m.Options = &mailbox.Options{ScheduleAt: mailbox.Ptr(t0.Add(time.Hour))}
	f.enqueue(t, m)
	w := f.watcher(t)
	f.once(t, w)
	f.clock.Advance(59 * time.Minute)
	if sum := f.once(t, w); sum != (Summary{}) || f.snd.count(m.ID) != 0 {
		t.Fatalf("sent before schedule_at: %+v", sum)
	}
	f.mustState(t, m.ID, StatePending)
	f.clock.Advance(time.Minute)
	if sum := f.once(t, w); sum != (Summary{Sent: 1}) {
		t.Fatalf("not sent when due: %+v", sum)
	}
}

func TestPanicIsPermanent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	other := f.enqueue(t, f.msg("test", "other"))
	f.snd.hook = func(_ context.Context, msg *mailbox.Message) error {
		if msg.ID == m.ID {
			panic("boom")
		}
		return nil
	}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{Sent: 1, DeadLettered: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	if got := f.mustState(t, m.ID, StateFailed); !strings.Contains(got.LastError(), "panicked: boom") {
		t.Errorf("error_message %q", got.LastError())
	}
	f.mustState(t, other.ID, StateSent)
}

func TestOnceSummary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok := f.enqueue(t, f.msg("test", "a"))
	tr := f.enqueue(t, f.msg("test", "b"))
	pe := f.enqueue(t, f.msg("test", "c"))
	f.snd.script[tr.ID] = []error{errServer}
	f.snd.script[pe.ID] = []error{permanentErr("invalid payload")}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{Sent: 1, Deferred: 1, DeadLettered: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	f.mustState(t, ok.ID, StateSent)
	if got := claimFiles(t, f.mb); len(got) != 0 {
		t.Errorf("claims left: %v", got)
	}
}

func TestRescanDoesNotReparse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.msg("test", "ops")
	m.Options = &mailbox.Options{ScheduleAt: mailbox.Ptr(t0.Add(time.Hour))}
	f.enqueue(t, m)
	w := f.watcher(t)
	en, err := w.start(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer en.close()
	for range 5 {
		en.scanAll(true)
	}
	if en.parses != 1 {
		t.Fatalf("parsed %d times, want 1", en.parses)
	}
	e, _ := f.find(t, m.ID)
	later := time.Now().Add(time.Minute)
	os.Chtimes(e.Path, later, later)
	en.scanAll(true)
	if en.parses != 2 {
		t.Fatalf("a changed file was not re-read: %d parses", en.parses)
	}
	if due := en.ix.nextDue(); !due.Equal(t0.Add(time.Hour)) {
		t.Errorf("next due %v", due)
	}
}

// TestArchivedCopyNotResent: an archive record copied back into outbound (sealed, correctly named,
// status sent) is dead-lettered as tampered, not sent a second time; the archive record is untouched.
func TestArchivedCopyNotResent(t *testing.T) {
	t.Parallel()
	for _, rename := range []bool{false, true} {
		f := newFixture(t)
		m := f.enqueue(t, f.msg("test", "ops"))
		if sum := f.once(t, f.watcher(t)); sum != (Summary{Sent: 1}) {
			t.Fatalf("first run: summary %+v", sum)
		}
		archived := filepath.Join(f.mb.Dir(mailbox.Archive, "test"), mailbox.FileName(m))
		raw, err := os.ReadFile(archived)
		if err != nil {
			t.Fatal(err)
		}
		name := mailbox.FileName(m)
		if rename { // another timestamp prefix: only its status tells it was sent
			name = "20990101T000000_" + m.ID + ".md"
		}
		writeRaw(t, f.mb, "test", name, raw)
		if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
			t.Fatalf("rename=%v: copy of the archive record: summary %+v", rename, sum)
		}
		if n := f.snd.count(m.ID); n != 1 {
			t.Errorf("rename=%v: sent %d times, want 1", rename, n)
		}
		if after, _ := os.ReadFile(archived); string(after) != string(raw) {
			t.Errorf("rename=%v: archive record changed:\n%s", rename, after)
		}
		dead, err := mailbox.Read(filepath.Join(f.mb.Dir(mailbox.DeadLetter, "test"), name))
		if err != nil || !strings.Contains(dead.LastError(), "tampered: already sent") {
			t.Errorf("rename=%v: dead letter %v, %v", rename, dead, err)
		}
	}
}
