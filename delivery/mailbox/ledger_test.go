package mailbox

import (
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestLedger(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	const draft, blob = ".monoco/drafts/FEAT-0172/reply.md", "0123456789abcdef0123456789abcdef01234567"

	got, err := mb.Ledger(draft, blob)
	if err != nil || got != nil {
		t.Fatalf("Ledger before recording = %+v, %v; want nil", got, err)
	}
	intent := &LedgerEntry{Draft: draft, Blob: blob, Files: []string{"slack/20260207T150232_out_slack_1.md"},
		IDs: []string{"out_slack_1"}}
	if err := mb.RecordLedger(intent); err != nil {
		t.Fatal(err)
	}
	got, err = mb.Ledger(draft, blob)
	if err != nil || !reflect.DeepEqual(got, intent) {
		t.Fatalf("Ledger = %+v, %v; want %+v", got, err, intent)
	}
	done := *intent
	done.Done = true
	if err := mb.RecordLedger(&done); err != nil {
		t.Fatal(err)
	}
	if got, _ = mb.Ledger(draft, blob); got == nil || !got.Done {
		t.Errorf("Ledger after marking done = %+v", got)
	}
	assertMode(t, mb.ledgerPath(draft, blob), 0o600)
	assertNoTemp(t, mb)

	// Another version of the draft, or another draft with the same content, is not delivered.
	for _, k := range [][2]string{{draft, "ffff"}, {"other.md", blob}, {draft + "\x00", blob}} {
		if got, err := mb.Ledger(k[0], k[1]); err != nil || got != nil {
			t.Errorf("Ledger(%q, %q) = %+v, %v; want nil", k[0], k[1], got, err)
		}
	}
	// The ledger is shared through the mailbox: another Open sees it.
	mb2, _ := Open(mb.Root)
	if got, _ := mb2.Ledger(draft, blob); got == nil || !got.Done {
		t.Errorf("Ledger through another Open = %+v", got)
	}
}

func TestLedgerTornOrForeignReadsAsAbsent(t *testing.T) {
	t.Parallel()
	const draft, blob = "d.md", "b1"
	for name, content := range map[string]string{
		"empty":   "",
		"torn":    `{"draft":"d.md","blob":"b1","files":["slack/x.md"],"ids":["x"],"do`,
		"garbage": "\x00\x01not json",
		"foreign": `{"draft":"other.md","blob":"b1","files":[],"ids":[],"done":true}`,
		"array":   `[1,2,3]`,
	} {
		t.Run(name, func(t *testing.T) {
			mb := newMailbox(t)
			if err := os.WriteFile(mb.ledgerPath(draft, blob), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := mb.Ledger(draft, blob)
			if err != nil || got != nil {
				t.Errorf("Ledger = %+v, %v; want nil, nil", got, err)
			}
		})
	}
}

func TestExists(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	check := func(t *testing.T, provider, name string, want bool) {
		t.Helper()
		if got := mb.Exists(provider, name); got != want {
			t.Errorf("Exists(%s, %s) = %v, want %v", provider, name, got, want)
		}
	}
	pending := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
	check(t, "slack", pending.Name, true)
	check(t, "email", pending.Name, false)
	check(t, "slack", "20990101T000000_out_slack_ffffffffffff.md", false)

	c, claimed, m := claimOne(t, mb, "out_slack_000000000002")
	check(t, "slack", filepath.Base(claimed), true) // in a claim directory

	archived, err := c.Archive(claimed, m, t0, "pm")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "slack", filepath.Base(archived), true)

	claimed3, err := c.Claim(pending)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := c.DeadLetter(claimed3, mustRead(t, claimed3), t0, "permanent")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "slack", filepath.Base(dead), true)

	if err := os.Remove(dead); err != nil {
		t.Fatal(err)
	}
	check(t, "slack", filepath.Base(dead), false)
}

func TestLockDeliverSerialises(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	release1, err := mb.LockDeliver()
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(mb.StateDir(), "deliver.lock")
	assertMode(t, lockPath, 0o600)
	if !lockHeld(t, lockPath) {
		t.Fatal("LockDeliver returned without holding the lock")
	}

	var mu sync.Mutex
	var events []string
	record := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }

	started := make(chan struct{})
	acquired := make(chan struct{})
	go func() {
		close(started)
		// A separate Mailbox value, as a second `courier deliver` would have.
		mb2, err := Open(mb.Root)
		if err != nil {
			t.Error(err)
			close(acquired)
			return
		}
		release2, err := mb2.LockDeliver()
		if err != nil {
			t.Error(err)
			close(acquired)
			return
		}
		record("second acquired")
		release2()
		close(acquired)
	}()
	<-started
	// Give the second goroutine every chance to (wrongly) get in while the first holds the lock.
	select {
	case <-acquired:
		t.Fatal("second LockDeliver returned while the first was held")
	case <-time.After(200 * time.Millisecond):
	}
	record("first released")
	release1()
	<-acquired

	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0] != "first released" || events[1] != "second acquired" {
		t.Errorf("events = %v, want [first released, second acquired]", events)
	}
	if lockHeld(t, lockPath) {
		t.Error("lock still held after both released")
	}
}

// lockHeld reports whether someone holds an exclusive flock on path.
func lockHeld(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}
