package hooks_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/monoco/courier/gitdir"
	"github.com/monoco/courier/hooks"
)

// head opens dir and returns its branch and commit.
func head(t *testing.T, dir string) (string, string, error) {
	t.Helper()
	h, err := hooks.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h.Head()
}

func TestHead(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.git("checkout", "-q", "-b", "feat/FEAT-0172-unborn")

	// Unborn: the branch from HEAD's symbolic ref, no commit.
	br, commit, err := head(t, r.dir)
	if err != nil || br != "feat/FEAT-0172-unborn" || commit != "" {
		t.Fatalf("unborn: %q %q %v", br, commit, err)
	}

	r.write("README", "x\n")
	first := r.commit("one")
	br, commit, err = head(t, r.dir)
	if err != nil || br != "feat/FEAT-0172-unborn" || commit != first {
		t.Fatalf("after commit: %q %q %v; want commit %s", br, commit, err, first)
	}

	// From a subdirectory.
	sub := filepath.Join(r.dir, "Issues", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if br, _, err := head(t, sub); err != nil || br != "feat/FEAT-0172-unborn" {
		t.Fatalf("from a subdirectory: %q %v", br, err)
	}

	r.git("checkout", "-q", "-b", "Fix-0009-lower")
	if br, _, _ = head(t, r.dir); br != "Fix-0009-lower" {
		t.Fatalf("after checkout -b: %q", br)
	}

	// Detached HEAD: no branch, the commit.
	r.git("checkout", "-q", "--detach")
	br, commit, err = head(t, r.dir)
	if err != nil || br != "" || commit != first {
		t.Fatalf("detached: %q %q %v", br, commit, err)
	}
	r.git("checkout", "-q", "Fix-0009-lower")

	// Linked worktree: its own branch, the shared object store.
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", "-b", "chore/CHORE-0007-cleanup", wt)
	br, commit, err = head(t, wt)
	if err != nil || br != "chore/CHORE-0007-cleanup" || commit != first {
		t.Fatalf("linked worktree: %q %q %v", br, commit, err)
	}
	w := r.at(wt)
	w.write("b", "b\n")
	second := w.commit("two")
	if _, commit, _ := head(t, wt); commit != second || commit == first {
		t.Fatalf("linked worktree after commit: %q", commit)
	}
	if br, _, _ := head(t, r.dir); br != "Fix-0009-lower" {
		t.Fatalf("main worktree after worktree commit: %q", br)
	}
	// An unborn branch in a linked worktree (orphan).
	w.git("checkout", "-q", "--orphan", "epic/EPIC-0002")
	if br, commit, err := head(t, wt); err != nil || br != "epic/EPIC-0002" || commit != "" {
		t.Fatalf("orphan in worktree: %q %q %v", br, commit, err)
	}

	// A Repo that does not point at a git dir.
	dir := t.TempDir()
	if _, _, err := (&hooks.Repo{Layout: gitdir.Layout{Top: dir, MainWorktree: dir}}).Head(); !errors.Is(err, hooks.ErrNotRepo) {
		t.Fatalf("Head without a git dir: %v, want ErrNotRepo", err)
	}
}
