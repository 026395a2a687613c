package delivery

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Real-process tests: the guarantees about kill -9 and two watchers are about processes (flock
// ownership dies with the process), so they run crashChild as child processes: the test binary itself,
// started with $CRASHTEST_MAILBOX set (nothing to build).

func TestMain(m *testing.M) {
	if os.Getenv("CRASHTEST_MAILBOX") != "" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

func crashBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs child processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

type child struct {
	cmd *exec.Cmd
	log string
	out *strings.Builder
}

func startChild(t *testing.T, mb *mailbox.Mailbox, name, mode string) *child {
	t.Helper()
	c := &child{log: filepath.Join(t.TempDir(), name+".log"), out: &strings.Builder{}}
	c.cmd = exec.Command(crashBinary(t), "-test.run=^$")
	c.cmd.Env = append(os.Environ(), "CRASHTEST_MAILBOX="+mb.Root, "CRASHTEST_LOG="+c.log, "CRASHTEST_MODE="+mode)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	eventually(t, 10*time.Second, name+" ready", func() bool { return c.has("ready") })
	return c
}

func (c *child) lines() []string {
	b, _ := os.ReadFile(c.log)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (c *child) has(line string) bool { return slices.Contains(c.lines(), line) }

func (c *child) kill9(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
}

func (c *child) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("watcher exited with %v\n%s", err, c.out)
	}
}

func TestCrashMidSendIsRecovered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	var ids []string
	for _, to := range []string{"a", "b", "c"} {
		ids = append(ids, f.enqueue(t, f.msg("test", to)).ID)
	}
	a := startChild(t, f.mb, "a", "block")
	eventually(t, 10*time.Second, "three sends in progress", func() bool {
		return a.has("start "+ids[0]) && a.has("start "+ids[1]) && a.has("start "+ids[2])
	})
	a.kill9(t)
	if c := claimFiles(t, f.mb); len(c) != 3 {
		t.Fatalf("after kill -9: %d claimed files, want 3: %v", len(c), c)
	}

	b := startChild(t, f.mb, "b", "ok")
	eventually(t, 10*time.Second, "all archived", func() bool { return countState(t, f.mb, mailbox.Archive) == 3 })
	for _, id := range ids {
		if !b.has("done " + id) {
			t.Errorf("%s not sent again after the crash", id)
		}
		f.mustState(t, id, StateSent)
	}
	b.stop(t)
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left behind: %v", c)
	}
	if n := countState(t, f.mb, mailbox.Outbound) + countState(t, f.mb, mailbox.DeadLetter); n != 0 {
		t.Errorf("%d messages left outside archive", n)
	}
}

func TestSecondWatcherLeavesLiveClaimsAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	m := f.enqueue(t, f.msg("test", "ops"))
	a := startChild(t, f.mb, "a", "block")
	eventually(t, 10*time.Second, "A sending", func() bool { return a.has("start " + m.ID) })

	b := startChild(t, f.mb, "b", "ok")
	// B tries to recover stale claims at its start and at each rescan (every 100ms): await several.
	eventually(t, 10*time.Second, "B rescanned five times", func() bool {
		return strings.Count(strings.Join(b.lines(), "\n"), "tick") >= 5
	})
	if b.has("start " + m.ID) {
		t.Fatal("B took the message A is sending")
	}
	if c := claimFiles(t, f.mb); len(c) != 1 {
		t.Fatalf("A's claim disappeared: %v", c)
	}

	a.kill9(t)
	eventually(t, 10*time.Second, "B sends it after A died", func() bool { return b.has("done " + m.ID) })
	eventually(t, 5*time.Second, "archived", func() bool { return countState(t, f.mb, mailbox.Archive) == 1 })
	b.stop(t)
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left behind: %v", c)
	}
}

func TestSIGTERMReleasesInFlight(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	m := f.enqueue(t, f.msg("test", "ops"))
	a := startChild(t, f.mb, "a", "block")
	eventually(t, 10*time.Second, "A sending", func() bool { return a.has("start " + m.ID) })
	a.stop(t) // exit status 0 after the 1s grace
	got := f.mustState(t, m.ID, StatePending)
	if got.RetryCount != 0 || len(got.Attempts) != 0 {
		t.Errorf("released message changed: %+v", got)
	}
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left behind: %v", c)
	}
}

// TestCrashAfterAcceptanceNotResent: the provider accepted a message but its archive write fails
// (archive/test is not a directory); the acceptance is recorded in the claim. After kill -9 and a
// fixed archive, the next watcher archives it without sending it again. `courier queue` lists it as
// sent with the error meanwhile.
func TestCrashAfterAcceptanceNotResent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	blocker := f.mb.Dir(mailbox.Archive, "test")
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startChild(t, f.mb, "a", "ok")
	m := f.enqueue(t, f.msg("test", "ops"))
	eventually(t, 10*time.Second, "acceptance recorded in the claim", func() bool {
		for _, c := range claimFiles(t, f.mb) {
			if got, err := mailbox.Read(c); err == nil && got.ID == m.ID && got.Status == mailbox.StatusSent {
				return true
			}
		}
		return false
	})
	a.kill9(t)
	it := queueItemOf(t, f.mb, m.ID)
	if it == nil || it.State != StateSent || it.ErrorMessage == nil || !strings.Contains(*it.ErrorMessage, "archive") {
		t.Fatalf("queue item after the crash %+v, want sent with the archive error", it)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	b := startChild(t, f.mb, "b", "ok")
	eventually(t, 10*time.Second, "archived", func() bool { return countState(t, f.mb, mailbox.Archive) == 1 })
	b.stop(t)
	if b.has("start " + m.ID) {
		t.Error("the second watcher sent the accepted message again")
	}
	if n := strings.Count(strings.Join(a.lines(), "\n"), "start "+m.ID); n != 1 {
		t.Errorf("first watcher sent it %d times, want 1", n)
	}
	got := f.mustState(t, m.ID, StateSent)
	if got.ProviderMessageID != "crash-"+m.ID || got.ErrorMessage != nil {
		t.Errorf("archived %+v", got)
	}
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left behind: %v", c)
	}
}

// TestCrashWhileNextSendOverlapsArchive: a channel's next send starts once the previous message was
// accepted, while its archive record may still be being written. kill -9 during that next send: the
// accepted message is sent again at most once, and only if its archive record was not durable yet; the
// next watcher keeps the channel's enqueue order and archives everything.
func TestCrashWhileNextSendOverlapsArchive(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	var ids []string
	for range 3 {
		ids = append(ids, f.enqueue(t, f.msg("test", "ops")).ID)
	}
	a := startChild(t, f.mb, "a", "first")
	eventually(t, 10*time.Second, "the second send in progress", func() bool { return a.has("start " + ids[1]) })
	a.kill9(t)
	e, err := f.mb.Find(ids[0])
	archivedAtKill := err == nil && e.State == mailbox.Archive && !e.Claimed

	b := startChild(t, f.mb, "b", "ok")
	eventually(t, 10*time.Second, "all archived", func() bool { return countState(t, f.mb, mailbox.Archive) == 3 })
	b.stop(t)
	var order []string
	for _, l := range b.lines() {
		if id, ok := strings.CutPrefix(l, "start "); ok {
			order = append(order, id)
		}
	}
	want := ids[1:]
	if !archivedAtKill {
		want = ids // not durable yet: sent once more, before the later ones
	}
	if !slices.Equal(order, want) {
		t.Errorf("second watcher sent %v, want %v (first message archived at the kill: %v)", order, want, archivedAtKill)
	}
	for _, id := range ids {
		f.mustState(t, id, StateSent)
	}
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left behind: %v", c)
	}
}
