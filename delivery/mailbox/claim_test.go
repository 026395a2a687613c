package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestClaim(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	e := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
	before, _ := os.ReadFile(e.Path)
	c, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := os.Stat(filepath.Join(mb.StateDir(), "claims", c.Owner+".lock")); err != nil {
		t.Errorf("lock file: %v", err)
	}
	claimed, err := c.Claim(e)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	want := filepath.Join(mb.StateDir(), "claims", c.Owner, "slack", e.Name)
	if claimed != want {
		t.Errorf("claimed path %s, want %s", claimed, want)
	}
	assertGone(t, e.Path)
	if after, _ := os.ReadFile(claimed); !bytes.Equal(after, before) {
		t.Error("claiming changed the file")
	}
	if _, err := c.Claim(e); !errors.Is(err, ErrClaimed) {
		t.Errorf("second Claim: %v, want ErrClaimed", err)
	}
	other, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.Owner == c.Owner {
		t.Error("two claimers share an owner")
	}
	if _, err := other.Claim(e); !errors.Is(err, ErrClaimed) {
		t.Errorf("Claim by another claimer: %v, want ErrClaimed", err)
	}
}

func TestClaimRace(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	for i := range 100 {
		mustEnqueue(t, mb, sampleMessage(fmt.Sprintf("out_slack_%012d", i)))
	}
	entries, err := mb.List(Outbound)
	if err != nil || len(entries) != 100 {
		t.Fatalf("List: %d entries, %v", len(entries), err)
	}
	const claimers = 2
	wins := make([][]bool, claimers)
	errs := make(chan error, claimers*len(entries))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range claimers {
		c, err := mb.NewClaimer()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wins[w] = make([]bool, len(entries))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i, e := range entries {
				_, err := c.Claim(e)
				switch {
				case err == nil:
					wins[w][i] = true
				case !errors.Is(err, ErrClaimed):
					errs <- err
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Claim: %v", err)
	}
	for i, e := range entries {
		n := 0
		for w := range claimers {
			if wins[w][i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s claimed %d times", e.Name, n)
		}
	}
	all, err := mb.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 100 {
		t.Errorf("%d files after the race, want 100", len(all))
	}
	for _, e := range all {
		if !e.Claimed {
			t.Errorf("%s not claimed", e.Name)
		}
	}
}

// claimOne enqueues a message and claims it; it returns the claimer, claimed path and message.
func claimOne(t *testing.T, mb *Mailbox, id string) (*Claimer, string, *Message) {
	t.Helper()
	e := mustEnqueue(t, mb, sampleMessage(id))
	c, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	claimed, err := c.Claim(e)
	if err != nil {
		t.Fatal(err)
	}
	return c, claimed, mustRead(t, claimed)
}

func TestSettle(t *testing.T) {
	t.Parallel()
	now := t0.Add(10 * time.Minute)
	retryAt := t0.Add(20 * time.Minute)
	tests := []struct {
		name   string
		settle func(c *Claimer, claimed string, m *Message) (string, error)
		dir    string
		check  func(t *testing.T, m *Message)
	}{
		{
			name: "archive",
			settle: func(c *Claimer, claimed string, m *Message) (string, error) {
				m.SetError("transient: earlier failure")
				m.NextRetryAt = Ptr(retryAt)
				return c.Archive(claimed, m, now, "pm-1")
			},
			dir: "archive",
			check: func(t *testing.T, m *Message) {
				if m.Status != StatusSent || m.SentAt == nil || !m.SentAt.Equal(now) ||
					m.ProviderMessageID != "pm-1" || m.ErrorMessage != nil || m.NextRetryAt != nil {
					t.Errorf("archived: status %s sent_at %v pmid %q error %v next %v",
						m.Status, m.SentAt, m.ProviderMessageID, m.ErrorMessage, m.NextRetryAt)
				}
			},
		},
		{
			name: "defer",
			settle: func(c *Claimer, claimed string, m *Message) (string, error) {
				m.Status = StatusSending
				m.RetryCount++
				m.NextRetryAt = Ptr(retryAt)
				m.SetError("transient: HTTP 503")
				m.Attempts = append(m.Attempts, Attempt{At: At(now), Outcome: "transient", Error: "HTTP 503"})
				return c.Defer(claimed, m)
			},
			dir: "outbound",
			check: func(t *testing.T, m *Message) {
				if m.Status != StatusPending || m.RetryCount != 1 || m.NextRetryAt == nil ||
					!m.NextRetryAt.Equal(retryAt) || m.LastError() != "transient: HTTP 503" || len(m.Attempts) != 1 ||
					m.SentAt != nil || m.FailedAt != nil {
					t.Errorf("deferred: %+v", m)
				}
			},
		},
		{
			name: "dead letter",
			settle: func(c *Claimer, claimed string, m *Message) (string, error) {
				m.NextRetryAt = Ptr(retryAt)
				return c.DeadLetter(claimed, m, now, "permanent: HTTP 400 invalid_payload")
			},
			dir: ".deadletter",
			check: func(t *testing.T, m *Message) {
				if m.Status != StatusFailed || m.FailedAt == nil || !m.FailedAt.Equal(now) ||
					m.LastError() != "permanent: HTTP 400 invalid_payload" || m.NextRetryAt != nil || m.SentAt != nil {
					t.Errorf("dead-lettered: status %s failed_at %v error %q next %v",
						m.Status, m.FailedAt, m.LastError(), m.NextRetryAt)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb := newMailbox(t)
			c, claimed, m := claimOne(t, mb, "out_slack_000000000001")
			to, err := tt.settle(c, claimed, m)
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(mb.Root, tt.dir, "slack", filepath.Base(claimed))
			if to != want {
				t.Errorf("settled at %s, want %s", to, want)
			}
			assertMode(t, to, 0o600)
			assertGone(t, claimed)
			got := mustRead(t, to)
			tt.check(t, got)
			s, _ := mb.Sealer()
			if v := s.Verify(got); v != Sealed {
				t.Errorf("seal after settling: %v", v)
			}
			all, _ := mb.List()
			if len(all) != 1 || all[0].Claimed || all[0].Path != to {
				t.Errorf("List after settling = %+v", all)
			}
			assertNoTemp(t, mb)
		})
	}
}

func TestDeadLetterRaw(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	dir, err := mb.EnsureDir(Outbound, "slack")
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("this is not a message file\n")
	path := filepath.Join(dir, "20260207T150232_out_slack_000000000001.md")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	es, err := mb.List(Outbound)
	if err != nil || len(es) != 1 {
		t.Fatalf("List: %v %v", es, err)
	}
	c, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	claimed, err := c.Claim(es[0])
	if err != nil {
		t.Fatal(err)
	}
	to, err := c.DeadLetterRaw(claimed, "unparseable: no frontmatter")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(mb.Root, ".deadletter", "slack", es[0].Name)
	if to != want {
		t.Errorf("dead-lettered at %s, want %s", to, want)
	}
	if got, _ := os.ReadFile(to); !bytes.Equal(got, raw) {
		t.Errorf("raw dead letter changed: %q", got)
	}
	side := filepath.Join(mb.Root, ".deadletter", "slack", "."+es[0].Name+".reason")
	if got, err := os.ReadFile(side); err != nil || string(got) != "unparseable: no frontmatter\n" {
		t.Errorf("sidecar = %q, %v", got, err)
	}
	assertMode(t, side, 0o600)
	assertGone(t, claimed)
	all, _ := mb.List()
	if len(all) != 1 || all[0].State != DeadLetter || all[0].Path != to {
		t.Errorf("List = %+v (the sidecar must not be listed)", all)
	}
	assertNoTemp(t, mb)
}
