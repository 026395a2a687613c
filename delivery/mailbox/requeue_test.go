package mailbox

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestRequeue(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	c, claimed, m := claimOne(t, mb, "out_slack_000000000001")
	m.RetryCount = 3
	m.Attempts = []Attempt{{At: At(t0.Add(time.Minute)), Outcome: "transient", Error: "HTTP 500"}}
	dlPath, err := c.DeadLetter(claimed, m, t0.Add(2*time.Minute), "permanent: HTTP 400 bad payload")
	if err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(filepath.Dir(dlPath), "."+filepath.Base(dlPath)+".reason")
	if err := os.WriteFile(side, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	es, err := mb.List(DeadLetter)
	if err != nil || len(es) != 1 {
		t.Fatalf("List(DeadLetter) = %v, %v", es, err)
	}

	now := t0.Add(time.Hour)
	to, err := mb.Requeue(es[0], now)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(mb.Root, "outbound", "slack", filepath.Base(dlPath)); to != want {
		t.Errorf("requeued to %s, want %s", to, want)
	}
	assertGone(t, dlPath)
	assertGone(t, side)
	assertMode(t, to, 0o600)
	assertNoTemp(t, mb)

	got := mustRead(t, to)
	if got.Status != StatusPending || got.RetryCount != 0 || got.NextRetryAt != nil || got.FailedAt != nil ||
		got.ErrorMessage != nil || got.SentAt != nil {
		t.Errorf("requeued: status %s retry_count %d next %v failed %v error %v",
			got.Status, got.RetryCount, got.NextRetryAt, got.FailedAt, got.ErrorMessage)
	}
	if got.DueSince == nil || !got.DueSince.Equal(now) {
		t.Errorf("due_since = %v, want %v", got.DueSince, now)
	}
	if !got.FirstDue().Equal(now) {
		t.Errorf("FirstDue = %v, want %v", got.FirstDue(), now)
	}
	wantAttempts := []Attempt{
		{At: At(t0.Add(time.Minute)), Outcome: "transient", Error: "HTTP 500"},
		{At: At(now), Outcome: "requeued", Error: "permanent: HTTP 400 bad payload"},
	}
	if len(got.Attempts) != len(wantAttempts) {
		t.Fatalf("attempts = %+v", got.Attempts)
	}
	for i := range wantAttempts {
		if !got.Attempts[i].At.Equal(wantAttempts[i].At.Time) || got.Attempts[i].Outcome != wantAttempts[i].Outcome ||
			got.Attempts[i].Error != wantAttempts[i].Error {
			t.Errorf("attempt %d = %+v, want %+v", i, got.Attempts[i], wantAttempts[i])
		}
	}
	data, _ := os.ReadFile(to)
	for _, line := range []string{"next_retry_at: null", "error_message: null", "status: pending", "retry_count: 0"} {
		if !regexp.MustCompile(`(?m)^` + line + `$`).Match(data) {
			t.Errorf("requeued file lacks %q", line)
		}
	}
	if regexp.MustCompile(`(?m)^failed_at: [^n]`).Match(data) {
		t.Error("requeued file still has a failed_at")
	}
	s, _ := mb.Sealer()
	if v := s.Verify(got); v != Sealed {
		t.Errorf("seal after requeue: %v", v)
	}
	all, _ := mb.List()
	if len(all) != 1 || all[0].State != Outbound || all[0].Claimed {
		t.Errorf("List = %+v", all)
	}
}

func TestRequeueUnparseable(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	dir, err := mb.EnsureDir(Outbound, "slack")
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("---\nid: [unclosed\n")
	name := "20260207T150232_out_slack_000000000001.md"
	if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	es, _ := mb.List(Outbound)
	c, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	claimed, err := c.Claim(es[0])
	if err != nil {
		t.Fatal(err)
	}
	dl, err := c.DeadLetterRaw(claimed, "unparseable")
	if err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(filepath.Dir(dl), "."+name+".reason")
	if _, err := os.Stat(side); err != nil {
		t.Fatalf("sidecar: %v", err)
	}
	es, _ = mb.List(DeadLetter)
	if len(es) != 1 {
		t.Fatalf("List(DeadLetter) = %v", es)
	}
	to, err := mb.Requeue(es[0], t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(to); !bytes.Equal(got, raw) {
		t.Errorf("unparseable dead letter changed on requeue: %q", got)
	}
	if to != filepath.Join(dir, name) {
		t.Errorf("requeued to %s", to)
	}
	assertGone(t, dl)
	assertGone(t, side)
}

func TestRequeueRefusesOtherStates(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	pending := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
	c, claimed, m := claimOne(t, mb, "out_slack_000000000002")
	sentPath, err := c.Archive(claimed, m, t0, "pm")
	if err != nil {
		t.Fatal(err)
	}
	sent := Entry{State: Archive, Provider: "slack", Name: filepath.Base(sentPath), Path: sentPath}
	for _, e := range []Entry{pending, sent} {
		before, _ := os.ReadFile(e.Path)
		if _, err := mb.Requeue(e, t0); err == nil {
			t.Errorf("Requeue of a %s entry succeeded", e.State)
		}
		if after, err := os.ReadFile(e.Path); err != nil || !bytes.Equal(after, before) {
			t.Errorf("Requeue of a %s entry touched it: %v", e.State, err)
		}
	}
	es, _ := mb.List()
	if len(es) != 2 {
		t.Errorf("List = %+v", es)
	}
}

// A requeue interrupted between writing the outbound copy and removing the dead letter leaves both;
// the message may then be sent and archived. Requeueing the leftover dead letter must not queue the
// message again: it only removes the stale copy.
func TestRequeueStaleDeadLetterCopy(t *testing.T) {
	t.Parallel()
	for _, where := range []State{Archive, Outbound} {
		t.Run(string(where), func(t *testing.T) {
			mb := newMailbox(t)
			c, claimed, m := claimOne(t, mb, "out_slack_000000000001")
			dlPath, err := c.DeadLetter(claimed, m, t0.Add(time.Minute), "HTTP 500")
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(dlPath)
			dir, _ := mb.EnsureDir(where, "slack")
			other := filepath.Join(dir, filepath.Base(dlPath))
			if err := os.WriteFile(other, data, 0o600); err != nil {
				t.Fatal(err)
			}
			es, _ := mb.List(DeadLetter)
			if len(es) != 1 {
				t.Fatalf("List(DeadLetter) = %v", es)
			}
			_, err = mb.Requeue(es[0], t0.Add(time.Hour))
			if (err != nil) != (where == Archive) {
				t.Errorf("Requeue error = %v (want one only when the message was already sent)", err)
			}
			assertGone(t, dlPath)
			if got, _ := os.ReadFile(other); !bytes.Equal(got, data) {
				t.Errorf("the copy in %s changed", where)
			}
			if all, _ := mb.List(); len(all) != 1 || all[0].State != where {
				t.Errorf("List = %+v, want only the copy in %s", all, where)
			}
		})
	}
}
