package hooks_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/hooks"
)

// The installed hook scripts start courier only when git lists a path under the baked pathspecs. A fast
// path that misses a staged draft is a defect, so these tests drive real git through the installed
// scripts and check which hooks started the (fake) courier.

var defaultDirs = []string{"Issues/Features/work/{item}/drafts", "Issues/Fixes/work/{item}/drafts",
	"Issues/Chores/work/{item}/drafts", "Issues/Epics/work/{item}/drafts"}

// fastRepo is a repository with one commit and courier's hooks installed with baked pathspecs.
func fastRepo(t *testing.T, dirs ...string) (*repo, *hooks.Repo) {
	t.Helper()
	r := newRepo(t)
	r.write("README.md", "hello\n")
	r.commit("root")
	h := r.open()
	installFast(t, r, h, dirs...)
	return r, h
}

func installFast(t *testing.T, r *repo, h *hooks.Repo, dirs ...string) []string {
	t.Helper()
	lines, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t), Pathspecs: hooks.DraftPathspecs(h, append(slices.Clone(defaultDirs), dirs...), ".monoco/mailbox")})
	if err != nil {
		t.Fatal(err)
	}
	r.clearLog()
	return lines
}

// started returns the hooks that started courier since the log was last cleared, and clears it.
func (r *repo) started() []string {
	r.t.Helper()
	var out []string
	for _, l := range r.logLines() {
		if h, ok := strings.CutPrefix(l, "courier "); ok {
			out = append(out, strings.Fields(h)[0])
		}
	}
	r.clearLog()
	return out
}

func (r *repo) wantStarted(what string, want ...string) {
	r.t.Helper()
	if diff := cmp.Diff(want, r.started()); diff != "" {
		r.t.Errorf("%s: hooks that started courier (-want +got):\n%s", what, diff)
	}
}

func TestFastPathNoDraftStartsNothing(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	r.write("src/main.go", "package main\n")
	r.commit("code")
	r.wantStarted("a commit without drafts")
	r.git("commit", "-q", "--allow-empty", "-m", "empty")
	r.wantStarted("an empty commit")
	// Work-item files beside the drafts directory are not drafts.
	r.write("Issues/Features/work/FEAT-0001/README.md", "the item\n")
	r.commit("item notes")
	r.wantStarted("a work item's notes")
}

func TestFastPathStartsCourierForDrafts(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	r.write(draftA, validMD)
	r.commit("add draft")
	r.wantStarted("added draft", "pre-commit", "post-commit")

	t.Run("renamed", func(t *testing.T) {
		r.git("mv", draftA, draftB)
		r.git("commit", "-q", "-m", "rename")
		r.wantStarted("renamed draft", "pre-commit", "post-commit")
	})
	t.Run("deleted", func(t *testing.T) {
		r.git("rm", "-q", draftB)
		r.git("commit", "-q", "-m", "delete")
		r.wantStarted("deleted draft (nothing to validate or deliver)")
	})
	t.Run("moved between items", func(t *testing.T) {
		r.write(draftA, validMD)
		r.commit("again")
		r.clearLog()
		other := "Issues/Fixes/work/FIX-0002/drafts/hello.md"
		if err := os.MkdirAll(filepath.Join(r.dir, filepath.Dir(other)), 0o755); err != nil {
			t.Fatal(err)
		}
		r.git("mv", draftA, other)
		r.git("commit", "-q", "-m", "move")
		r.wantStarted("draft moved to another item", "pre-commit", "post-commit")
	})
	t.Run("item id in lower case", func(t *testing.T) {
		r.write("Issues/Features/work/feat-0003/drafts/x.md", validMD)
		r.commit("lower")
		r.wantStarted("lower-case item", "pre-commit", "post-commit")
	})
}

// `git commit -a` and `git commit PATH` hand the hook a temporary index ($GIT_INDEX_FILE): the fast path
// must read it, not .git/index, or it misses the draft and courier never blocks the invalid one.
func TestFastPathReadsTheIndexGitHandsTheHook(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"commit -a", []string{"commit", "-q", "-a", "-m", "x"}},
		{"commit PATH", []string{"commit", "-q", "-m", "x", "--", draftA}},
		{"commit --only PATH", []string{"commit", "-q", "--only", "-m", "x", draftA}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := fastRepo(t)
			r.write(draftA, validMD)
			r.commit("add draft")
			r.clearLog()
			r.write(draftA, noToMD) // changed in the worktree only: .git/index still holds the valid one
			head := r.git("rev-parse", "HEAD")
			if _, stderr, err := r.run(nil, tc.args...); err == nil || r.git("rev-parse", "HEAD") != head {
				t.Fatalf("the invalid draft was committed (stderr %q)", stderr)
			}
			r.wantStarted(tc.name, "pre-commit")
		})
	}
}

func TestFastPathAmendAndRebase(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	r.write("a.txt", "a\n")
	r.commit("a")
	r.wantStarted("no draft")

	r.write(draftA, validMD)
	r.git("add", draftA)
	r.git("commit", "-q", "--amend", "-m", "a with a draft")
	r.wantStarted("amend adding a draft", "pre-commit", "post-commit", "post-rewrite")

	r.git("commit", "-q", "--amend", "-m", "reworded")
	// The amended commit still adds the draft against its parent, but pre-commit saw an index that
	// changes no draft against HEAD (the commit being amended), so post-commit runs no git; post-rewrite,
	// which always starts courier, hands the amended commit over (TestSeenMarkerAmendDeliversThroughPostRewrite).
	r.wantStarted("amend of a commit with a draft", "post-rewrite")

	base := r.git("rev-parse", "HEAD~1")
	r.git("checkout", "-q", "-b", "side", base)
	r.write("b.txt", "b\n")
	r.commit("b")
	r.git("checkout", "-q", "main")
	r.clearLog()
	r.git("rebase", "-q", "side")
	// The pick of the draft commit runs post-commit (HEAD detached), and post-rewrite hands over the
	// rewritten commits once the rebase is done.
	r.wantStarted("rebase", "post-commit", "post-rewrite")
}

func TestFastPathRootCommit(t *testing.T) {
	t.Parallel()
	for _, withDraft := range []bool{false, true} {
		r := newRepo(t)
		h := r.open()
		installFast(t, r, h)
		r.write("README.md", "hello\n")
		if withDraft {
			r.write(draftA, validMD)
		}
		r.commit("root")
		if withDraft {
			r.wantStarted("root commit with a draft", "pre-commit", "post-commit")
		} else {
			r.wantStarted("root commit without drafts")
		}
	}
}

// A merge commit concluded with `git commit` runs pre-commit (the merged drafts are staged against
// HEAD, so courier validates them) and post-commit, where courier delivers nothing for a merge (it starts
// because pre-commit found drafts; `git diff-tree` of a merge would have listed none).
func TestFastPathMergeCommit(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	r.git("checkout", "-q", "-b", "feat")
	r.write(draftA, validMD)
	r.commit("draft")
	r.git("checkout", "-q", "main")
	r.write("other.txt", "x\n")
	r.commit("other")
	r.clearLog()
	r.git("merge", "-q", "--no-ff", "--no-commit", "feat")
	r.git("commit", "-q", "-m", "merge")
	r.wantStarted("merge commit bringing a draft", "pre-commit", "post-commit")
	if lines := r.logLines(); index(lines, "deliver ") >= 0 {
		t.Errorf("a merge commit delivered: %q", lines)
	}
}

// Paths courier must see although they are no valid draft: the mailbox (refused), misplaced drafts
// (warned about), a symlink or submodule where a draft belongs (invalid), drafts of a configured pattern.
func TestFastPathStartsCourierForMailboxAndMisplacedPaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		".monoco/mailbox/outbound/out_file_0123456789ab.json",
		"Issues/Feature/work/FEAT-1/drafts/x.md",
		"Issues/Features/work/FEAT-1/draft/x.md",
		"Issues/Features/work/FEAT-1/drafts/sub/x.md",
		"Issues/Features/work/FEAT-1/Drafts/x.md",
		"Issues/Features/work/FEAT-1/drafts/notes.txt",
		"drafts/x.md",
		"docs/ABC-7/outbox/x.md",
		"docs/ABC-7/outbox",
	} {
		t.Run(p, func(t *testing.T) {
			r, _ := fastRepo(t, "docs/{item}/outbox")
			r.write(p, validMD)
			r.git("add", p)
			r.run(nil, "commit", "-q", "-m", "x") // courier may refuse it: only the start matters here
			if got := r.started(); len(got) == 0 || got[0] != "pre-commit" {
				t.Errorf("%s staged: courier started for %q, want pre-commit first", p, got)
			}
		})
	}
	t.Run("symlink in drafts", func(t *testing.T) {
		r, _ := fastRepo(t)
		p := filepath.Join(r.dir, filepath.FromSlash(draftA))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc/passwd", p); err != nil {
			t.Fatal(err)
		}
		r.git("add", draftA)
		r.run(nil, "commit", "-q", "-m", "x")
		if got := r.started(); len(got) == 0 || got[0] != "pre-commit" {
			t.Errorf("symlink staged: courier started for %q", got)
		}
	})
}

// Environment variables that change how git reads pathspecs must not blind the fast path.
func TestFastPathIgnoresPathspecEnvironment(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"GIT_LITERAL_PATHSPECS=1", "GIT_NOGLOB_PATHSPECS=1", "GIT_ICASE_PATHSPECS=1"} {
		t.Run(env, func(t *testing.T) {
			r, _ := fastRepo(t)
			r.write(draftA, validMD)
			r.git("add", draftA)
			if _, stderr, err := r.run([]string{env}, "commit", "-q", "-m", "x"); err != nil {
				t.Fatalf("commit: %v\n%s", err, stderr)
			}
			r.wantStarted(env, "pre-commit", "post-commit")
		})
	}
}

// A project's pre-commit hook that stages a draft itself (a formatter, a generator) runs before courier
// looks; the fast path looks again after it.
func TestFastPathSeesDraftsStagedByTheChainedHook(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "hello\n")
	r.commit("root")
	h := r.open()
	writeForeign(t, filepath.Join(h.HooksDir, "pre-commit"), "#!/bin/sh\necho \"foreign pre-commit\" >> \"$COURIER_TEST_LOG\"\n"+
		"mkdir -p Issues/Features/work/FEAT-0001/drafts && printf 'no recipient\\n' > "+draftA+" && git add "+draftA+"\n", 0o755)
	installFast(t, r, h)
	r.write("src.txt", "x\n")
	r.git("add", "src.txt")
	head := r.git("rev-parse", "HEAD")
	if _, _, err := r.run(nil, "commit", "-q", "-m", "x"); err == nil || r.git("rev-parse", "HEAD") != head {
		t.Fatal("the invalid draft the project's hook staged was committed")
	}
	if got := r.started(); !slices.Equal(got, []string{"pre-commit"}) {
		t.Errorf("courier started for %q, want pre-commit", got)
	}
}

func TestFastPathRunsTheChainedHookAlone(t *testing.T) {
	t.Parallel()
	r := huskyRepo(t)
	h := r.open()
	installFast(t, r, h)
	r.write("src.txt", "x\n")
	r.git("add", "src.txt")
	if _, stderr, err := r.run(nil, "commit", "-q", "-m", "x"); err != nil {
		t.Fatalf("commit: %v\n%s", err, stderr)
	}
	lines := r.logLines()
	if !slices.Equal(lines, []string{"husky pre-commit ", "husky post-commit"}) {
		t.Errorf("log = %q, want both husky hooks and no courier", lines)
	}
	r.clearLog()
	head := r.git("rev-parse", "HEAD")
	r.write("src.txt", "y\n")
	r.git("add", "src.txt")
	if _, _, err := r.run([]string{"FOREIGN_FAIL=3"}, "commit", "-q", "-m", "x"); err == nil || r.git("rev-parse", "HEAD") != head {
		t.Errorf("the failing husky pre-commit did not block the commit on the fast path")
	}
}

// With COURIER_SKIP=1 the hook script names what courier did not look at, without starting it.
func TestFastPathSkipNamesTheDrafts(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	r.write(draftA, noToMD)
	r.git("add", draftA)
	_, stderr, err := r.run([]string{"COURIER_SKIP=1"}, "commit", "-q", "-m", "skip")
	if err != nil {
		t.Fatalf("commit: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"courier: COURIER_SKIP=1, skipping pre-commit",
		"courier: COURIER_SKIP=1: not validated: " + draftA,
		"courier: COURIER_SKIP=1, skipping post-commit",
		"courier: COURIER_SKIP=1: not delivered: " + draftA,
		"courier: `courier deliver` delivers the drafts among them later",
	} {
		if !strings.Contains(stderr, want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	r.wantStarted("COURIER_SKIP=1")
	_, stderr, err = r.run([]string{"COURIER_SKIP=1"}, "commit", "-q", "--amend", "-m", "skip again")
	if err != nil {
		t.Fatalf("amend: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "courier: COURIER_SKIP=1, skipping post-rewrite\n") ||
		count(stderr, "courier: COURIER_SKIP=1: not delivered: "+draftA) != 2 {
		t.Errorf("amend with COURIER_SKIP=1: stderr\n%s", stderr)
	}
	r.wantStarted("COURIER_SKIP=1 amend")
}

// Git runs hooks at the top of the worktree whatever the directory of `git commit`, and exports
// GIT_DIR and GIT_WORK_TREE when they were given; the pathspecs are relative to that top.
func TestFastPathFromElsewhere(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	r.write("src/sub/x.txt", "x\n")
	r.commit("sub")
	r.clearLog()
	r.write(draftA, validMD)
	r.git("add", draftA)
	sub := r.at(filepath.Join(r.dir, "src", "sub"))
	sub.git("commit", "-q", "-m", "from a subdirectory")
	r.wantStarted("commit from a subdirectory", "pre-commit", "post-commit")

	r.write(draftB, validMD)
	r.git("add", draftB)
	away := r.at(t.TempDir())
	away.git("--git-dir="+filepath.Join(r.dir, ".git"), "--work-tree="+r.dir, "commit", "-q", "-m", "with --git-dir")
	r.wantStarted("commit with --git-dir and --work-tree", "pre-commit", "post-commit")
}
