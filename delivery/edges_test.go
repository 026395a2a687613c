package delivery

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// syncBuffer is a log sink the watcher's goroutines and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

func (f *fixture) captureLog() *syncBuffer {
	b := &syncBuffer{}
	f.cfg.Logger = slog.New(slog.NewTextHandler(b, nil))
	return b
}

// queueItemOf returns the default `courier queue` listing's item for id (nil when absent).
func queueItemOf(t *testing.T, mb *mailbox.Mailbox, id string) *QueueItem {
	t.Helper()
	items, err := ListQueue(mb, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range items {
		if items[i].ID == id {
			return &items[i]
		}
	}
	return nil
}

// TestArchiveFailureNeverResends: once the provider accepted a message, a failing archive write
// (archive/test is not a directory) keeps it out of the send path; the write is retried every
// interval; `courier queue` lists it as sent with the error until the archive record is written.
func TestArchiveFailureNeverResends(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	f.cfg.Interval = 20 * time.Millisecond
	logs := f.captureLog()
	blocker := f.mb.Dir(mailbox.Archive, "test")
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := f.enqueue(t, f.msg("test", "ops"))
	runWatcher(t, f.watcher(t))
	eventually(t, 10*time.Second, "three failed archive retries", func() bool {
		return logs.count("archive still failing") >= 3
	})
	if n := f.snd.count(m.ID); n != 1 {
		t.Fatalf("sent %d times while its archive write failed, want 1", n)
	}
	it := queueItemOf(t, f.mb, m.ID)
	if it == nil || it.State != StateSent || it.ErrorMessage == nil || !strings.Contains(*it.ErrorMessage, "archive") {
		t.Fatalf("queue item %+v, want state sent with the archive error", it)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	// Archive writes the record, then drops the claim: until both are done the claim is listed.
	eventually(t, 10*time.Second, "archived and no longer listed by default", func() bool {
		return countState(t, f.mb, mailbox.Archive) == 1 && queueItemOf(t, f.mb, m.ID) == nil
	})
	got := f.mustState(t, m.ID, StateSent)
	if f.snd.count(m.ID) != 1 || got.ProviderMessageID != "pm-"+m.ID || got.ErrorMessage != nil {
		t.Errorf("sends %d, archived %+v", f.snd.count(m.ID), got)
	}
}

// TestAcceptedRecordIsArchivedNotSent: a message file whose acceptance was recorded (status sent,
// left in outbound by a watcher that stopped before its archive write succeeded) is archived without
// being sent again, even when its provider is no longer configured.
func TestAcceptedRecordIsArchivedNotSent(t *testing.T) {
	t.Parallel()
	for _, configured := range []bool{true, false} {
		t.Run(map[bool]string{true: "configured", false: "provider no longer configured"}[configured], func(t *testing.T) {
			testAcceptedRecord(t, configured)
		})
	}
}

func testAcceptedRecord(t *testing.T, configured bool) {
	f := newFixture(t)
	if !configured {
		f.cfg.Providers = map[string]Provider{"other": {Sender: f.snd}}
	}
	m := f.enqueue(t, f.msg("test", "ops"))
	e, _ := f.find(t, m.ID)
	c, err := f.mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := c.Claim(e)
	if err != nil {
		t.Fatal(err)
	}
	read, _ := mailbox.Read(claimed)
	if err := c.RecordAccepted(claimed, read, t0, "pm-earlier", "accepted; archive write failed"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil { // returns the claim to outbound
		t.Fatal(err)
	}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{Sent: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	got := f.mustState(t, m.ID, StateSent)
	if n := f.snd.count(m.ID); n != 0 || got.ProviderMessageID != "pm-earlier" {
		t.Errorf("sends %d provider_message_id %q, want 0 and the recorded one", n, got.ProviderMessageID)
	}
}

// TestReplays: an archived message copied back as pending is a duplicate; a sealed message copied
// under a name that is not its own is tampered. Neither is sent.
func TestReplays(t *testing.T) {
	t.Parallel()
	t.Run("archived copy back with status pending", func(t *testing.T) {
		f := newFixture(t)
		m := f.enqueue(t, f.msg("test", "ops"))
		f.once(t, f.watcher(t))
		raw, err := os.ReadFile(filepath.Join(f.mb.Dir(mailbox.Archive, "test"), mailbox.FileName(m)))
		if err != nil {
			t.Fatal(err)
		}
		pending := bytes.Replace(raw, []byte("status: sent"), []byte("status: pending"), 1)
		writeRaw(t, f.mb, "test", mailbox.FileName(m), pending)
		if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
			t.Fatalf("summary %+v", sum)
		}
		dead, err := mailbox.Read(filepath.Join(f.mb.Dir(mailbox.DeadLetter, "test"), mailbox.FileName(m)))
		if err != nil || !strings.Contains(dead.LastError(), "duplicate") {
			t.Fatalf("dead letter %+v, %v", dead, err)
		}
		if n := f.snd.count(m.ID); n != 1 {
			t.Errorf("sent %d times", n)
		}
	})
	t.Run("sealed message under another name", func(t *testing.T) {
		f := newFixture(t)
		m := f.enqueue(t, f.msg("test", "ops"))
		e, _ := f.find(t, m.ID)
		copyName := "20990101T000000_" + m.ID + ".md"
		if err := os.Rename(e.Path, filepath.Join(filepath.Dir(e.Path), copyName)); err != nil {
			t.Fatal(err)
		}
		if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
			t.Fatalf("summary %+v", sum)
		}
		dead, err := mailbox.Read(filepath.Join(f.mb.Dir(mailbox.DeadLetter, "test"), copyName))
		if err != nil || !strings.Contains(dead.LastError(), "tampered") {
			t.Fatalf("dead letter %+v, %v", dead, err)
		}
		if n := f.snd.count(m.ID); n != 0 {
			t.Errorf("sent %d times", n)
		}
	})
}

// TestWatcherFollowsNewSealKey: after the key is replaced (the mailbox recreated by `courier init`),
// a running watcher verifies new messages with the new key.
func TestWatcherFollowsNewSealKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	f.cfg.Interval = 20 * time.Millisecond
	first := f.enqueue(t, f.msg("test", "ops"))
	runWatcher(t, f.watcher(t))
	eventually(t, 10*time.Second, "first sent", func() bool { return countState(t, f.mb, mailbox.Archive) == 1 })
	if err := os.Remove(f.mb.SealKeyPath()); err != nil {
		t.Fatal(err)
	}
	other, err := mailbox.Open(f.mb.Root) // another process: creates a new key
	if err != nil {
		t.Fatal(err)
	}
	second := f.msg("test", "ops")
	if _, err := other.Enqueue(second); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "second settled", func() bool {
		return countState(t, f.mb, mailbox.Archive)+countState(t, f.mb, mailbox.DeadLetter) == 2
	})
	got := f.mustState(t, second.ID, StateSent)
	if f.snd.count(second.ID) != 1 || f.snd.count(first.ID) != 1 {
		t.Errorf("sends %d, %d; archived %+v", f.snd.count(first.ID), f.snd.count(second.ID), got)
	}
}

// TestProviderWaitCappedByMaxAge: Retry-After 999999999 does not park a message for 31 years: it is
// dead-lettered at once, naming the wait.
func TestProviderWaitCappedByMaxAge(t *testing.T) {
	t.Parallel()
	for _, err := range []error{&rateErr{after: 999999999 * time.Second}, &transientErr{msg: "503", after: 999999999 * time.Second}} {
		f := newFixture(t)
		m := f.enqueue(t, f.msg("test", "ops"))
		f.snd.always = err
		if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
			t.Fatalf("%T: summary %+v", err, sum)
		}
		got := f.mustState(t, m.ID, StateFailed)
		if !strings.Contains(got.LastError(), "asked to wait 277777h46m39s") || f.snd.count(m.ID) != 1 {
			t.Errorf("%T: error_message %q, sends %d", err, got.LastError(), f.snd.count(m.ID))
		}
	}
}

// TestPausedChannelNeverHoldsPastDeadline: a provider pauses a channel for 2h; a later message of
// that channel whose max_age deadline comes after 1h is dead-lettered then, naming the pause, and is
// never sent.
func TestPausedChannelNeverHoldsPastDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.Interval = time.Hour
	f.cfg.Retry.MaxAge = 3 * time.Hour
	a := f.enqueue(t, f.msg("test", "ops"))
	b := f.msg("test", "ops")
	b.DueSince = mailbox.Ptr(t0.Add(-2 * time.Hour)) // its deadline: t0+1h
	f.enqueue(t, b)
	f.snd.script[a.ID] = []error{&rateErr{after: 2 * time.Hour}}
	w := f.watcher(t)
	runWatcher(t, w)
	eventually(t, 10*time.Second, "a deferred", func() bool {
		e, err := f.mb.Find(a.ID)
		if err != nil || e.Claimed {
			return false
		}
		m, err := mailbox.Read(e.Path)
		return err == nil && m.NextRetryAt != nil
	})
	f.clock.Advance(time.Hour)
	w.Sweep()
	eventually(t, 10*time.Second, "b dead-lettered", func() bool { return countState(t, f.mb, mailbox.DeadLetter) == 1 })
	got := f.mustState(t, b.ID, StateFailed)
	if !strings.Contains(got.LastError(), "paused") || !strings.Contains(got.LastError(), "max_age") {
		t.Errorf("error_message %q, want the pause and max_age named", got.LastError())
	}
	if n := f.snd.count(b.ID); n != 0 {
		t.Errorf("b sent %d times", n)
	}
	f.mustState(t, a.ID, StatePending)
}

// TestNonRegularOutboundEntries: a directory or FIFO named *.md in outbound/ is dead-lettered, not
// skipped, and never opened (a FIFO would block); before that, `courier queue` lists it as unreadable.
func TestNonRegularOutboundEntries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir, err := f.mb.EnsureDir(mailbox.Outbound, "test")
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "20260207T150000_out_test_fifo.md")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "20260207T150000_out_test_dir.md"), 0o700); err != nil {
		t.Fatal(err)
	}
	items, err := ListQueue(f.mb, QueueFilter{})
	if err != nil || len(items) != 2 || items[0].Status != StatusUnreadable || items[1].Status != StatusUnreadable {
		t.Fatalf("queue %+v, %v; want both unreadable", items, err)
	}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 2}) {
		t.Fatalf("summary %+v", sum)
	}
	for _, name := range []string{"20260207T150000_out_test_fifo.md", "20260207T150000_out_test_dir.md"} {
		dead := filepath.Join(f.mb.Dir(mailbox.DeadLetter, "test"), name)
		if _, err := os.Lstat(dead); err != nil {
			t.Errorf("%s not dead-lettered: %v", name, err)
		}
		if r := mailbox.ReadReason(dead); !strings.Contains(r, "not a regular file") {
			t.Errorf("%s: reason %q", name, r)
		}
	}
}

// TestOversizedOutboundFile: a 300 MB (sparse) outbound file is dead-lettered under its own name from
// its size alone; the watcher does not read it.
func TestOversizedOutboundFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := writeRaw(t, f.mb, "test", "20260207T150000_out_test_big.md", []byte("---\n"))
	if err := os.Truncate(p, 300<<20); err != nil {
		t.Fatal(err)
	}
	w := f.watcher(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum := f.once(t, w)
	runtime.ReadMemStats(&after)
	if sum != (Summary{DeadLettered: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d bytes: the file was read", alloc)
	}
	dead := filepath.Join(f.mb.Dir(mailbox.DeadLetter, "test"), filepath.Base(p))
	if fi, err := os.Stat(dead); err != nil || fi.Size() != 300<<20 {
		t.Fatalf("dead letter %v, %v: want the file kept whole under its own name", fi, err)
	}
	if r := mailbox.ReadReason(dead); !strings.Contains(r, "too large") {
		t.Errorf("reason %q", r)
	}
}

// TestExpiryJobWithLaterDeadline: an expiry job for a message whose deadline moved (requeued while its
// channel was paused) releases it and reports the new deadline, so the loop does not start it again
// and again.
func TestExpiryJobWithLaterDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	en, err := f.watcher(t).start(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer en.close()
	e := &entry{provider: "test", name: mailbox.FileName(m), deadline: t0}
	r := en.process(en.sendCtx, job{e: e, expire: "paused"})
	want := m.CreatedAt.Add(f.cfg.Retry.MaxAge)
	if r.outcome != outReleased || !r.deadline.Equal(want) {
		t.Fatalf("outcome %d deadline %v, want released with %v", r.outcome, r.deadline, want)
	}
	f.mustState(t, m.ID, StatePending)
	if n := f.snd.count(m.ID); n != 0 {
		t.Errorf("sent %d times", n)
	}
}
