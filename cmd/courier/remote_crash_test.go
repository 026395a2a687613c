package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// TestCentralKill9: central watchers killed with SIGKILL at random points between fetch and enqueue
// (and during sends) lose and repeat nothing: once a run completes, every pushed draft version is in
// the mailbox exactly once, each under the commit that introduced it.
func TestCentralKill9(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	outbox := filepath.Join(t.TempDir(), "outbox")
	w := newCentralWorld(t, "", fmt.Sprintf("providers:\n  file: {dir: %s}\n", outbox))
	alice := w.agent(t, "alice", "feat/FEAT-0001")
	git(t, alice, "commit", "-q", "--allow-empty", "-m", "start")
	git(t, alice, "push", "-q", "-u", "origin", "HEAD")
	wantCode(t, runIn(t, w.central, nil, bin, "watch", "--once", "--remote", "origin", "--config", w.config), 0, "first sight")

	// Three commits of 40 drafts, then draft 0 changed again: 121 versions in one push.
	want := map[string]bool{} // "draft blob" of every version pushed
	for c := 0; c < 3; c++ {
		for i := 0; i < 40; i++ {
			writeDraft(t, alice, "FEAT-0001", fmt.Sprintf("d%d-%02d", c, i), fileDraft(fmt.Sprintf("commit %d draft %02d", c, i)))
		}
		git(t, alice, "add", "-A")
		git(t, alice, "commit", "-q", "-m", fmt.Sprintf("batch %d", c))
	}
	writeDraft(t, alice, "FEAT-0001", "d0-00", fileDraft("draft 0 again"))
	git(t, alice, "commit", "-q", "-am", "again")
	for _, c := range strings.Fields(git(t, alice, "rev-list", "HEAD~4..HEAD")) {
		for _, line := range strings.Split(git(t, alice, "diff-tree", "-r", "--no-commit-id", c), "\n") {
			f := strings.Fields(line)
			want[f[5]+" "+f[3]] = true
		}
	}
	git(t, alice, "push", "-q")

	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	kills := 0
	for ; kills < 40; kills++ {
		delay := 20*time.Millisecond + time.Duration(rng.Int63n(int64(600*time.Millisecond)))
		r := runKilled(t, w.central, delay, nil, bin, "watch", "--once", "--remote", "origin", "--config", w.config)
		if !r.killed {
			wantCode(t, result{code: r.code, stdout: r.stdout, stderr: r.stderr}, 0, "watch --once that was not killed")
			break
		}
	}
	final := runIn(t, w.central, nil, bin, "watch", "--once", "--remote", "origin", "--config", w.config)
	wantCode(t, final, 0, "final watch --once")

	mb := &mailbox.Mailbox{Root: w.mailbox}
	ents, err := mb.List(mailbox.Outbound, mailbox.Archive, mailbox.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range ents {
		m, err := mailbox.Parse([]byte(readFile(t, e.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if e.State == mailbox.DeadLetter {
			t.Errorf("%s dead-lettered: %s", e.Name, m.LastError())
		}
		got[m.Source.Draft+" "+m.Source.DraftBlob]++
	}
	for v := range want {
		if got[v] != 1 {
			t.Errorf("version %s is in the mailbox %d times, want once", v, got[v])
		}
	}
	for v, n := range got {
		if !want[v] {
			t.Errorf("version %s (×%d) was never pushed", v, n)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(w.mailbox, "outbound", "file")); len(left) > 0 {
		t.Errorf("outbound/file still holds %d files", len(left))
	}
	t.Logf("%d watchers killed; %d versions pushed, %d messages in the mailbox", kills, len(want), len(ents))
}
