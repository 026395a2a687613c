package mailbox

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A watcher that died between writing a deferred message back to outbound and removing its claim
// leaves an old copy in its claim directory. When a live watcher has already claimed the new copy,
// recovery must drop the old one, not put it back in the queue beside the one in flight.
func TestRecoverStaleDropsCopyClaimedElsewhere(t *testing.T) {
	mb := newMailbox(t)
	e := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
	old, _ := os.ReadFile(e.Path)
	dead := staleClaim(t, mb, "1-dead", e, true)
	newer := append(bytes.Replace(old, []byte("retry_count: 0"), []byte("retry_count: 1"), 1), '\n')
	if bytes.Equal(newer[:len(old)], old) {
		t.Fatal("test setup: no retry_count to change")
	}
	if err := os.WriteFile(e.Path, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	inFlight, err := live.Claim(e)
	if err != nil {
		t.Fatal(err)
	}

	n, err := mb.RecoverStale()
	if err != nil || n != 0 {
		t.Fatalf("RecoverStale = %d, %v; want 0 (the message is in flight elsewhere)", n, err)
	}
	assertGone(t, dead)
	assertGone(t, e.Path)
	if got, _ := os.ReadFile(inFlight); !bytes.Equal(got, newer) {
		t.Error("the live claim changed")
	}
	if all, _ := mb.List(); len(all) != 1 || !all[0].Claimed {
		t.Errorf("List = %+v, want only the live claim", all)
	}
}

// A watcher killed between placing its lock file and creating its claim directory, or a recovery
// killed between removing a dead watcher's claim directory and its lock file, leaves a lock file
// without a directory. Recovery removes it once nobody holds it; a live watcher's lock stays.
func TestRecoverStaleRemovesOrphanLocks(t *testing.T) {
	mb := newMailbox(t)
	claims := filepath.Join(mb.StateDir(), "claims")
	dead := filepath.Join(claims, "1-dead.lock")
	if err := os.WriteFile(dead, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A watcher still starting: it holds its lock, its directory is not there yet.
	starting := filepath.Join(claims, "2-starting.lock")
	f, err := os.OpenFile(starting, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	live, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	if n, err := mb.RecoverStale(); n != 0 || err != nil {
		t.Fatalf("RecoverStale = %d, %v; want 0, nil", n, err)
	}
	assertGone(t, dead)
	for _, p := range []string{starting, filepath.Join(claims, live.Owner+".lock"), filepath.Join(claims, live.Owner)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a live watcher's file was removed: %v", err)
		}
	}
}
