package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClaim(t *testing.T) {
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

func TestRelease(t *testing.T) {
	mb := newMailbox(t)
	c, claimed, _ := claimOne(t, mb, "out_slack_000000000001")
	before, _ := os.ReadFile(claimed)
	if err := c.Release(claimed); err != nil {
		t.Fatal(err)
	}
	back := filepath.Join(mb.Root, "outbound", "slack", filepath.Base(claimed))
	if got, _ := os.ReadFile(back); !bytes.Equal(got, before) {
		t.Errorf("released file differs or is missing")
	}
	assertGone(t, claimed)
	all, _ := mb.List()
	if len(all) != 1 || all[0].Claimed {
		t.Errorf("List = %+v", all)
	}
}

func TestClaimerCloseReturnsClaims(t *testing.T) {
	mb := newMailbox(t)
	c, claimed, _ := claimOne(t, mb, "out_slack_000000000001")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, claimed)
	assertGone(t, filepath.Join(mb.StateDir(), "claims", c.Owner))
	assertGone(t, filepath.Join(mb.StateDir(), "claims", c.Owner+".lock"))
	if _, err := os.Stat(filepath.Join(mb.Root, "outbound", "slack", filepath.Base(claimed))); err != nil {
		t.Errorf("claim not returned to outbound: %v", err)
	}
}

func TestRecoverStaleLeavesLiveClaims(t *testing.T) {
	mb := newMailbox(t)
	_, claimed, _ := claimOne(t, mb, "out_slack_000000000001")
	// Another watcher in the same process, with its own Mailbox value.
	mb2, err := Open(mb.Root)
	if err != nil {
		t.Fatal(err)
	}
	n, err := mb2.RecoverStale()
	if err != nil || n != 0 {
		t.Errorf("RecoverStale = %d, %v; want 0", n, err)
	}
	if _, err := os.Stat(claimed); err != nil {
		t.Errorf("a live claim was touched: %v", err)
	}
}

// staleClaim makes a claim directory of a dead owner holding a copy of e, with an unlocked lock file
// when withLock is set.
func staleClaim(t *testing.T, mb *Mailbox, owner string, e Entry, withLock bool) string {
	t.Helper()
	dir := filepath.Join(mb.StateDir(), "claims", owner, e.Provider)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if withLock {
		if err := os.WriteFile(filepath.Join(mb.StateDir(), "claims", owner+".lock"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	to := filepath.Join(dir, e.Name)
	if err := os.Rename(e.Path, to); err != nil {
		t.Fatal(err)
	}
	return to
}

func TestRecoverStale(t *testing.T) {
	for _, withLock := range []bool{true, false} {
		t.Run(fmt.Sprintf("lock file %v", withLock), func(t *testing.T) {
			mb := newMailbox(t)
			requeued := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
			settled := mustEnqueue(t, mb, sampleMessage("out_slack_000000000002"))
			want, _ := os.ReadFile(requeued.Path)
			c1 := staleClaim(t, mb, "1-dead", requeued, withLock)
			// A watcher that archived a message and died before removing its claim.
			settledData, _ := os.ReadFile(settled.Path)
			c2 := staleClaim(t, mb, "1-dead", settled, withLock)
			archived := filepath.Join(mb.Root, "archive", "slack", settled.Name)
			if err := os.MkdirAll(filepath.Dir(archived), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(archived, settledData, 0o600); err != nil {
				t.Fatal(err)
			}

			n, err := mb.RecoverStale()
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("RecoverStale = %d, want 1 (one requeued, one dropped)", n)
			}
			if got, _ := os.ReadFile(requeued.Path); !bytes.Equal(got, want) {
				t.Error("stale claim not returned to outbound unchanged")
			}
			assertGone(t, c1)
			assertGone(t, c2)
			assertGone(t, settled.Path) // dropped, not re-queued
			assertGone(t, filepath.Join(mb.StateDir(), "claims", "1-dead"))
			assertGone(t, filepath.Join(mb.StateDir(), "claims", "1-dead.lock"))
			if _, err := os.Stat(archived); err != nil {
				t.Errorf("archived copy: %v", err)
			}
			if n, err := mb.RecoverStale(); n != 0 || err != nil {
				t.Errorf("second RecoverStale = %d, %v", n, err)
			}
		})
	}
}

// TestHelperClaimer is not a test: it is the body of the child process TestRecoverStaleDeadProcess
// starts. It claims every outbound message, reports, then waits to be killed or exits without
// cleaning up, as a crashed watcher would.
func TestHelperClaimer(t *testing.T) {
	root := os.Getenv("MAILBOX_TEST_HELPER_ROOT")
	if root == "" {
		t.Skip("helper process only")
	}
	mb, err := Open(root)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	c, err := mb.NewClaimer()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	es, err := mb.List(Outbound)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	n := 0
	for _, e := range es {
		if _, err := c.Claim(e); err == nil {
			n++
		}
	}
	fmt.Printf("claimed %d %s\n", n, c.Owner)
	if os.Getenv("MAILBOX_TEST_HELPER_MODE") == "exit" {
		os.Exit(0) // no Close: the claims and the lock file stay behind
	}
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // wait for SIGKILL
	os.Exit(0)
}

func TestRecoverStaleDeadProcess(t *testing.T) {
	for _, mode := range []string{"kill", "exit"} {
		t.Run(mode, func(t *testing.T) {
			mb := newMailbox(t)
			const total = 3
			want := map[string][]byte{}
			for i := range total {
				e := mustEnqueue(t, mb, sampleMessage(fmt.Sprintf("out_slack_%012d", i)))
				want[e.Path], _ = os.ReadFile(e.Path)
			}

			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperClaimer$", "-test.count=1")
			cmd.Env = append(os.Environ(), "MAILBOX_TEST_HELPER_ROOT="+mb.Root, "MAILBOX_TEST_HELPER_MODE="+mode)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("helper: %q, %v", line, err)
			}
			var n int
			var owner string
			if _, err := fmt.Sscanf(line, "claimed %d %s", &n, &owner); err != nil || n != total {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("helper said %q", line)
			}

			if mode == "kill" {
				// The child is alive: its claims are untouchable.
				got, err := mb.RecoverStale()
				if err != nil || got != 0 {
					t.Errorf("RecoverStale with the owner alive = %d, %v", got, err)
				}
				claimed, _ := mb.List(Outbound)
				for _, e := range claimed {
					if !e.Claimed {
						t.Errorf("%s back in outbound while its owner lives", e.Name)
					}
				}
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
			}
			_ = cmd.Wait()
			if _, err := os.Stat(filepath.Join(mb.StateDir(), "claims", owner+".lock")); err != nil {
				t.Fatalf("the dead owner's lock file is gone (test setup): %v", err)
			}

			got, err := mb.RecoverStale()
			if err != nil || got != total {
				t.Errorf("RecoverStale after the owner died = %d, %v; want %d", got, err, total)
			}
			for path, data := range want {
				if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, data) {
					t.Errorf("%s not back in outbound unchanged: %v", filepath.Base(path), err)
				}
			}
			ents, _ := os.ReadDir(filepath.Join(mb.StateDir(), "claims"))
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), owner) {
					t.Errorf("claims still hold %s", e.Name())
				}
			}
			es, _ := mb.List()
			if len(es) != total {
				t.Errorf("List = %d entries, want %d", len(es), total)
			}
		})
	}
}
