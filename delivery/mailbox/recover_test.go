package mailbox

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRelease(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
