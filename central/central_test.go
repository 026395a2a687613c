package central

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/drafts"
)

// Two agents push on their own branches: first sight delivers each branch's tip; a later push
// delivers what its new commits added, with the commit that introduced each version.
func TestTwoAgentsPushCentralDelivers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001-login")
	b := w.agent("bob", "feat/FEAT-0002-logout")
	ca := commit(t, a, map[string]string{draftPath("FEAT-0001", "hello.md"): draft("alice one")}, "alice drafts")
	push(t, a, "-u", "feat/FEAT-0001-login")
	cb := commit(t, b, map[string]string{draftPath("FEAT-0002", "bye.md"): draft("bob one")}, "bob drafts")
	push(t, b, "-u", "feat/FEAT-0002-logout")

	if got := w.fetch(); got != (Result{Delivered: 2}) {
		t.Fatalf("first fetch = %+v, want 2 delivered", got)
	}
	want := []string{
		"origin/feat/FEAT-0001-login " + draftPath("FEAT-0001", "hello.md") + "@" + ca[:7] + " alice one",
		"origin/feat/FEAT-0002-logout " + draftPath("FEAT-0002", "bye.md") + "@" + cb[:7] + " bob one",
	}
	if diff := cmp.Diff(want, bodies(w.queued())); diff != "" {
		t.Fatalf("queued (-want +got):\n%s", diff)
	}
	m := w.queued()[0]
	if m.Source.Item != "FEAT-0001" || m.Seal == "" || m.Source.DraftBlob == "" {
		t.Errorf("message not stamped and sealed as local delivery does: item %q seal %q blob %q", m.Source.Item, m.Seal, m.Source.DraftBlob)
	}

	ca2 := commit(t, a, map[string]string{draftPath("FEAT-0001", "again.md"): draft("alice two")}, "alice again")
	push(t, a)
	if got := w.fetch(); got != (Result{Delivered: 1}) {
		t.Fatalf("second fetch = %+v, want 1 delivered", got)
	}
	last := w.queued()[2]
	if last.Source.Commit != ca2 || last.Source.Draft != draftPath("FEAT-0001", "again.md") {
		t.Errorf("new commit's draft: source %+v, want commit %s", last.Source, ca2)
	}
	if got := w.fetch(); got != (Result{}) {
		t.Errorf("fetch with nothing new = %+v, want nothing", got)
	}
}

// A draft changed twice between two fetches: both versions, in commit order, each with its commit.
func TestChangedTwiceBetweenFetches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	commit(t, a, map[string]string{"notes.txt": "start\n"}, "start")
	push(t, a, "-u", "feat/FEAT-0001")
	w.fetch() // first sight: no drafts yet
	p := draftPath("FEAT-0001", "status.md")
	c1 := commit(t, a, map[string]string{p: draft("version one")}, "v1")
	c2 := commit(t, a, map[string]string{p: draft("version two")}, "v2")
	push(t, a)
	if got := w.fetch(); got != (Result{Delivered: 2}) {
		t.Fatalf("fetch = %+v, want 2 delivered", got)
	}
	want := []string{
		"origin/feat/FEAT-0001 " + p + "@" + c1[:7] + " version one",
		"origin/feat/FEAT-0001 " + p + "@" + c2[:7] + " version two",
	}
	if diff := cmp.Diff(want, bodies(w.queued())); diff != "" {
		t.Fatalf("queued (-want +got):\n%s", diff)
	}
}

// A rewritten branch delivers only what is new; versions already delivered are not delivered again.
func TestForcePush(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	p := draftPath("FEAT-0001", "a.md")
	commit(t, a, map[string]string{p: draft("kept")}, "a")
	push(t, a, "-u", "feat/FEAT-0001")
	w.fetch()
	// Amend (same draft content, new commit) and add a new draft, then force-push.
	run(t, a, "commit", "-q", "--amend", "-m", "a, reworded")
	cb := commit(t, a, map[string]string{draftPath("FEAT-0001", "b.md"): draft("new after rewrite")}, "b")
	push(t, a, "--force")
	if got := w.fetch(); got != (Result{Delivered: 1}) {
		t.Fatalf("fetch after force-push = %+v, want only the new draft", got)
	}
	q := w.queued()
	if len(q) != 2 || q[1].Source.Commit != cb || strings.TrimSpace(q[1].Body) != "new after rewrite" {
		t.Fatalf("queued %v", bodies(q))
	}
	// A rewrite that shares nothing with the old history (orphan) is seen afresh; the ledger keeps
	// the delivered versions from being delivered again.
	run(t, a, "checkout", "-q", "--orphan", "tmp")
	run(t, a, "commit", "-q", "-m", "orphan")
	run(t, a, "branch", "-q", "-M", "feat/FEAT-0001")
	run(t, a, "push", "-q", "--force", "origin", "feat/FEAT-0001")
	if got := w.fetch(); got != (Result{}) {
		t.Fatalf("fetch after unrelated rewrite = %+v, want nothing new", got)
	}
}

// A deleted branch changes nothing already queued and its tip is forgotten; a renamed branch is a
// new branch whose versions the ledger already has.
func TestDeletedAndRenamedBranch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001-old")
	commit(t, a, map[string]string{draftPath("FEAT-0001", "a.md"): draft("one")}, "a")
	push(t, a, "-u", "feat/FEAT-0001-old")
	w.fetch()
	before := bodies(w.queued())

	push(t, a, "feat/FEAT-0001-old:refs/heads/feat/FEAT-0001-new", ":feat/FEAT-0001-old")
	if got := w.fetch(); got != (Result{}) {
		t.Fatalf("fetch after rename = %+v, want nothing new", got)
	}
	tips, err := w.c.state.tips()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tips["feat/FEAT-0001-old"]; ok || tips["feat/FEAT-0001-new"] == "" {
		t.Errorf("tips after rename: %v (old forgotten, new remembered)", tips)
	}
	push(t, a, ":feat/FEAT-0001-new")
	w.fetch()
	if tips, _ := w.c.state.tips(); len(tips) != 0 {
		t.Errorf("tips after delete: %v, want none", tips)
	}
	if diff := cmp.Diff(before, bodies(w.queued())); diff != "" {
		t.Errorf("queue changed (-before +after):\n%s", diff)
	}
}

// The same draft version on two branches (of one work item) is delivered once.
func TestSameVersionOnTwoBranches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001-a")
	b := w.agent("bob", "fix-attempt/FEAT-0001-b")
	p := draftPath("FEAT-0001", "same.md")
	commit(t, a, map[string]string{p: draft("same content")}, "a")
	push(t, a, "-u", "feat/FEAT-0001-a")
	commit(t, b, map[string]string{p: draft("same content")}, "b")
	push(t, b, "-u", "fix-attempt/FEAT-0001-b")
	if got := w.fetch(); got != (Result{Delivered: 1}) {
		t.Fatalf("fetch = %+v, want the version delivered once", got)
	}
}

// An invalid version is never enqueued, logged once (restarts included), and listed by Invalid with
// its branch and commit.
func TestInvalidRemoteVersion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	p := draftPath("FEAT-0001", "bad.md")
	c := commit(t, a, map[string]string{p: "---\nprovider: file\n---\nno recipient\n",
		draftPath("FEAT-0001", "good.md"): draft("fine")}, "bad and good")
	push(t, a, "-u", "feat/FEAT-0001")
	if got := w.fetch(); got != (Result{Delivered: 1, Invalid: 1}) {
		t.Fatalf("fetch = %+v, want 1 delivered, 1 invalid", got)
	}
	wantLine := p + ":3: to: required field is missing"
	if n := strings.Count(w.logs.String(), wantLine); n != 1 {
		t.Fatalf("logged %d times, want once: %q\nlogs:\n%s", n, wantLine, w.logs)
	}
	// Seen again on another commit and after a restart: not logged again.
	commit(t, a, map[string]string{"x.txt": "x\n"}, "unrelated")
	push(t, a)
	run(t, a, "push", "-q", "origin", "feat/FEAT-0001:refs/heads/feat/FEAT-0001-copy")
	w.c = w.central()
	if got := w.fetch(); got != (Result{}) {
		t.Fatalf("fetch after restart = %+v, want nothing", got)
	}
	if n := strings.Count(w.logs.String(), wantLine); n != 1 {
		t.Errorf("logged %d times after a restart, want once", n)
	}
	inv, err := Invalid(StateBase(w.mb))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv) != 1 || inv[0].Draft != p || inv[0].Branch != "origin/feat/FEAT-0001" || inv[0].Commit != c ||
		inv[0].Line != 3 || inv[0].Field != "to" || inv[0].Errors[0] != wantLine {
		t.Errorf("Invalid = %+v", inv)
	}
	for _, m := range w.queued() {
		if m.Source.Draft == p {
			t.Errorf("invalid draft enqueued: %s", m.ID)
		}
	}
}

// A symbolic link or an oversized blob under a drafts directory is an invalid version; the big blob
// is judged by its size alone.
func TestSymlinkAndOversizedDraft(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	dir := filepath.Join(a, filepath.FromSlash(draftPath("FEAT-0001", "")))
	commit(t, a, map[string]string{draftPath("FEAT-0001", "big.md"): draft(strings.Repeat("x", 2<<20))}, "big")
	if err := os.Symlink("big.md", filepath.Join(dir, "link.md")); err != nil {
		t.Fatal(err)
	}
	run(t, a, "add", "-A")
	run(t, a, "commit", "-q", "-m", "link")
	push(t, a, "-u", "feat/FEAT-0001")
	if got := w.fetch(); got != (Result{Invalid: 2}) {
		t.Fatalf("fetch = %+v, want 2 invalid", got)
	}
	inv, _ := Invalid(StateBase(w.mb))
	if len(inv) != 2 || !strings.Contains(inv[0].Message, "larger than") || !strings.Contains(inv[1].Message, "symbolic link") {
		t.Errorf("Invalid = %+v", inv)
	}
}

// Only branches matching a drafts pattern are read.
func TestOnlyMatchingBranches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "experiment")
	commit(t, a, map[string]string{draftPath("FEAT-0001", "a.md"): draft("not on a work item branch")}, "a")
	push(t, a, "-u", "experiment")
	run(t, a, "push", "-q", "origin", "experiment:main")
	if got := w.fetch(); got != (Result{}) {
		t.Fatalf("fetch = %+v, want nothing", got)
	}
	if tips, _ := w.c.state.tips(); len(tips) != 0 {
		t.Errorf("tips %v, want none", tips)
	}
}

// A remote that is down: the fetch fails and is logged; the next one, once it is back, delivers.
func TestRemoteDown(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	commit(t, a, map[string]string{draftPath("FEAT-0001", "a.md"): draft("later")}, "a")
	push(t, a, "-u", "feat/FEAT-0001")
	away := w.origin + ".away"
	if err := os.Rename(w.origin, away); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.Fetch(context.Background()); err == nil {
		t.Fatal("fetch from a missing remote succeeded")
	}
	if !strings.Contains(w.logs.String(), "fetch failed") {
		t.Errorf("failure not logged:\n%s", w.logs)
	}
	if err := os.Rename(away, w.origin); err != nil {
		t.Fatal(err)
	}
	if got := w.fetch(); got != (Result{Delivered: 1}) {
		t.Fatalf("fetch once back = %+v", got)
	}
}

// A central clone with a work tree works the same (nothing is checked out).
func TestNonBareCentral(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	commit(t, a, map[string]string{draftPath("FEAT-0001", "a.md"): draft("hi")}, "a")
	push(t, a, "-u", "feat/FEAT-0001")
	clone := w.agent("central-wt", "main")
	head := run(t, clone, "rev-parse", "HEAD")
	var err error
	if w.repo, err = hooksOpen(clone); err != nil {
		t.Fatal(err)
	}
	w.c = w.central()
	if got := w.fetch(); got != (Result{Delivered: 1}) {
		t.Fatalf("fetch = %+v", got)
	}
	if run(t, clone, "rev-parse", "HEAD") != head || run(t, clone, "status", "--porcelain") != "" {
		t.Error("the central clone's work tree or HEAD changed")
	}
}

// A remembered tip git no longer has (pruned after a rewrite) makes the branch a first sight; the
// ledger keeps delivered versions from being delivered again.
func TestUnknownOldTip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	commit(t, a, map[string]string{draftPath("FEAT-0001", "a.md"): draft("one")}, "a")
	push(t, a, "-u", "feat/FEAT-0001")
	w.fetch()
	if err := w.c.state.saveTips(map[string]string{"feat/FEAT-0001": strings.Repeat("ab", 20)}); err != nil {
		t.Fatal(err)
	}
	commit(t, a, map[string]string{draftPath("FEAT-0001", "b.md"): draft("two")}, "b")
	push(t, a)
	if got := w.fetch(); got != (Result{Delivered: 1}) {
		t.Fatalf("fetch = %+v, want only b delivered", got)
	}
}

// Fetches at the same time (the interval, a webhook, a second watcher on the same state) deliver a
// version once.
func TestConcurrentFetches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.agent("alice", "feat/FEAT-0001")
	commit(t, a, map[string]string{draftPath("FEAT-0001", "a.md"): draft("once"), draftPath("FEAT-0001", "b.md"): draft("once too")}, "a")
	push(t, a, "-u", "feat/FEAT-0001")
	cs := []*Central{w.c, w.c, w.central()}
	results := make(chan Result, len(cs))
	for _, c := range cs {
		go func() {
			res, err := c.Fetch(context.Background())
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	total := 0
	for range cs {
		total += (<-results).Delivered
	}
	if total != 2 || len(w.queued()) != 2 {
		t.Errorf("delivered %d in all, %d queued; want 2", total, len(w.queued()))
	}
}

// A fetch that stalls is given up after FetchTimeout, logged, and tried again next time.
func TestFetchTimeout(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// A git:// server that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	run(t, w.repo.GitDir, "remote", "add", "stalled", "git://"+ln.Addr().String()+"/repo.git")
	v, _ := drafts.NewValidator(drafts.Config{})
	c, err := New(Config{Repo: w.repo, Remote: "stalled", Mailbox: w.mb, Validator: v, FetchTimeout: 300 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(w.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("Fetch = %v, want a timeout", err)
	}
	if !strings.Contains(w.logs.String(), "no answer within 300ms") {
		t.Errorf("the timeout is not logged:\n%s", w.logs)
	}
}
