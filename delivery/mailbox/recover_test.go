package mailbox

import (
	"bytes"
	"os"
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
