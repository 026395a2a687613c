package hooks_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monoco/courier/hooks"
)

// pre-commit leaves a marker naming the `git commit` process that runs it and whether the index it commits
// changes a draft; post-commit of that process then runs no git command: it runs nothing of courier's
// (no draft), or starts courier at once (drafts). These tests prove that the skip happens, and that it
// never hides a committed draft.

// traced runs git with GIT_TRACE and returns the diff commands the hook scripts ran ("diff" for
// pre-commit's `git diff --cached`, "diff-tree" for post-commit's) and the error.
func (r *repo) traced(extra []string, args ...string) ([]string, error) {
	r.t.Helper()
	trace := filepath.Join(r.t.TempDir(), "trace")
	_, stderr, err := r.run(append([]string{"GIT_TRACE=" + trace}, extra...), args...)
	if err != nil {
		r.t.Logf("git %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return diffsIn(r.t, trace), err
}

// diffsIn returns the names of the git diff and diff-tree commands a GIT_TRACE file records.
func diffsIn(t testing.TB, trace string) []string {
	t.Helper()
	b, err := os.ReadFile(trace)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if _, cmd, ok := strings.Cut(l, "trace: built-in: git "); ok && strings.HasPrefix(cmd, "diff") {
			out = append(out, strings.Fields(cmd)[0])
		}
	}
	return out
}

func (r *repo) marker(h *hooks.Repo) string {
	r.t.Helper()
	b, err := os.ReadFile(hooks.SeenMarker(h))
	if err != nil && !os.IsNotExist(err) {
		r.t.Fatal(err)
	}
	return string(b)
}

func TestSeenMarkerSparesPostCommitGit(t *testing.T) {
	t.Parallel()
	r, h := fastRepo(t)
	diffs, err := r.traced(nil, "commit", "-q", "--allow-empty", "-m", "empty")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"diff"}; !slices.Equal(diffs, want) {
		t.Errorf("a commit without drafts ran %q, want %q (post-commit none)", diffs, want)
	}
	r.wantStarted("a commit without drafts")
	if m := r.marker(h); m != "" {
		t.Errorf("post-commit left the marker %q: it serves once", m)
	}
	// Whether post-commit skips after `git add` depends on the file system's timestamps (the index must be
	// older than the marker); it must never start courier.
	for _, args := range [][]string{{"commit", "-q", "-m", "x"}, {"commit", "-q", "-a", "-m", "x"}, {"commit", "-q", "-m", "x", "--", "src.txt"}} {
		r.write("src.txt", strings.Join(args, " "))
		r.git("add", "src.txt")
		diffs, err := r.traced(nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("git %s: %q", strings.Join(args, " "), diffs)
		r.wantStarted(strings.Join(args, " "))
	}
	r.write(draftA, validMD)
	r.git("add", draftA)
	if diffs, err = r.traced(nil, "commit", "-q", "-m", "draft"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"diff"}; !slices.Equal(diffs, want) {
		t.Errorf("a commit with a draft ran %q, want %q (post-commit starts courier without looking)", diffs, want)
	}
	r.wantStarted("a commit with a draft", "pre-commit", "post-commit")
	if m := r.marker(h); m != "" {
		t.Errorf("post-commit left the marker %q: it serves once", m)
	}
}

// Every way a commit can carry a draft past pre-commit's look still starts courier in post-commit.
func TestSeenMarkerNeverHidesADraft(t *testing.T) {
	t.Parallel()
	t.Run("--no-verify after an aborted commit", func(t *testing.T) {
		t.Parallel()
		r, h := fastRepo(t)
		if _, _, err := r.run(nil, "commit", "-q", "--allow-empty", "-m", ""); err == nil {
			t.Fatal("a commit with an empty message was not aborted")
		}
		if !strings.HasPrefix(r.marker(h), "courier-seen none v1 ") {
			t.Fatalf("the aborted commit's pre-commit left no marker: %q", r.marker(h))
		}
		r.write(draftA, validMD)
		r.git("add", draftA)
		r.git("commit", "-q", "--no-verify", "-m", "draft")
		r.wantStarted("--no-verify", "post-commit")
	})
	for _, args := range [][]string{{"commit", "-q", "-a", "-m", "x"}, {"commit", "-q", "-m", "x", "--", draftA}} {
		t.Run(strings.Join(args[2:], " "), func(t *testing.T) {
			t.Parallel()
			r, _ := fastRepo(t)
			r.write(draftA, validMD)
			r.commit("draft")
			r.clearLog()
			r.write(draftA, valid2MD) // changed in the worktree only
			r.git(args...)
			r.wantStarted(strings.Join(args, " "), "pre-commit", "post-commit")
		})
	}
	t.Run("a draft the project's pre-commit stages", func(t *testing.T) {
		t.Parallel()
		r := newRepo(t)
		r.write("README.md", "hello\n")
		r.commit("root")
		h := r.open()
		writeForeign(t, filepath.Join(h.HooksDir, "pre-commit"), "#!/bin/sh\nmkdir -p "+filepath.Dir(draftA)+
			" && printf -- '"+strings.ReplaceAll(validMD, "\n", `\n`)+"' > "+draftA+" && git add "+draftA+"\n", 0o755)
		installFast(t, r, h)
		r.write("src.txt", "x\n")
		r.git("add", "src.txt")
		r.git("commit", "-q", "-m", "x")
		r.wantStarted("a draft staged by the chained hook", "pre-commit", "post-commit")
	})
	t.Run("another worktree commits a draft meanwhile", func(t *testing.T) {
		t.Parallel()
		r := newRepo(t)
		r.write("README.md", "hello\n")
		r.commit("root")
		h := r.open()
		other := filepath.Join(t.TempDir(), "other")
		r.git("worktree", "add", "-q", "-b", "other", other)
		// The project's pre-commit, in the main worktree only, commits a draft in the other worktree: its
		// pre-commit and post-commit run between this commit's.
		writeForeign(t, filepath.Join(h.HooksDir, "pre-commit"), "#!/bin/sh\n[ \"$PWD\" = '"+r.dir+"' ] || exit 0\n"+
			"cd '"+other+"' && unset GIT_INDEX_FILE && mkdir -p "+filepath.Dir(draftA)+" && printf -- '"+
			strings.ReplaceAll(validMD, "\n", `\n`)+"' > "+draftA+" && git add "+draftA+" && git commit -q -m other\n", 0o755)
		installFast(t, r, h)
		r.write("src.txt", "x\n")
		r.git("add", "src.txt")
		r.git("commit", "-q", "-m", "x")
		r.wantStarted("a draft committed in another worktree during this commit", "pre-commit", "post-commit")
		if got := r.at(other).git("log", "--format=%s", "-1"); got != "other" {
			t.Fatalf("the other worktree's commit: %q", got)
		}
	})
	t.Run("cherry-pick", func(t *testing.T) {
		t.Parallel()
		r, _ := fastRepo(t)
		r.git("checkout", "-q", "-b", "side")
		r.write(draftA, validMD)
		draft := r.commit("draft")
		r.git("checkout", "-q", "main")
		r.git("commit", "-q", "--allow-empty", "-m", "no draft") // leaves no marker behind
		r.clearLog()
		r.git("cherry-pick", draft)
		r.wantStarted("cherry-pick", "post-commit")
	})
}

// An amend that changes no draft runs no git in post-commit even when the amended commit carries one
// (pre-commit compares the index with the commit being amended); post-rewrite delivers it.
func TestSeenMarkerAmendDeliversThroughPostRewrite(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	r.write(draftA, validMD)
	r.git("add", draftA)
	if _, _, err := r.run([]string{"COURIER_SKIP=1"}, "commit", "-q", "-m", "draft, skipped"); err != nil {
		t.Fatal(err)
	}
	r.clearLog()
	r.git("commit", "-q", "--amend", "-m", "reworded")
	want := "deliver post-rewrite " + draftA + " " + r.blob(validMD)
	if lines := r.logLines(); !contains(lines, want) {
		t.Errorf("log %q lacks %q", lines, want)
	}
}

// hookRunner runs the installed hooks the way git does, from a process named git that is not git, so
// that a test can change the marker between them: `<dir>/git -c SCRIPT` with $PRE and $POST the hooks
// and $M the marker, in r's worktree.
func hookRunner(t *testing.T, r *repo, h *hooks.Repo, name string) func(script string, env ...string) []string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(sh, bin); err != nil {
		t.Fatal(err)
	}
	return func(script string, env ...string) []string {
		t.Helper()
		trace := filepath.Join(t.TempDir(), "trace")
		// A last command that is a builtin keeps sh from exec'ing the last hook in its place.
		cmd := exec.Command(bin, "-c", script+"\n:")
		cmd.Dir = r.dir
		cmd.Env = r.env(append([]string{"GIT_TRACE=" + trace, "GIT_INDEX_FILE=.git/index", "M=" + hooks.SeenMarker(h),
			"PRE=" + filepath.Join(h.HooksDir, "pre-commit"), "POST=" + filepath.Join(h.HooksDir, "post-commit")}, env...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		return diffsIn(t, trace)
	}
}

func TestSeenMarkerNamesItsGitProcess(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: the hooks never skip")
	}
	r, h := fastRepo(t)
	run := hookRunner(t, r, h, "git")
	skipped := []string{"diff"}
	looked := []string{"diff", "diff-tree"}
	for _, tc := range []struct {
		name, script string
		env          []string
		want         []string
	}{
		{"the same process", `"$PRE"; "$POST"`, nil, skipped},
		{"once", `"$PRE"; "$POST"; "$POST"`, nil, looked},
		{"another start time (a reused pid)", `"$PRE"; sed -i "s/ $$ \([0-9]*\) / $$ 1\1 /" "$M"; "$POST"`, nil, looked},
		{"a torn marker", `"$PRE"; sed -i 's/ \.$//' "$M"; "$POST"`, nil, looked},
		{"a marker from another boot", `"$PRE"; sed -i 's/^courier-seen none v1 ./courier-seen none v1 x/' "$M"; "$POST"`, nil, looked},
		{"an index staged after the look", `"$PRE"; sleep 0.01; touch .git/index; "$POST"`, nil, looked},
		{"an index git does not name", `"$PRE"; unset GIT_INDEX_FILE; "$POST"`, nil, looked},
		{"an unreadable marker", `"$PRE"; chmod 000 "$M"; "$POST"; chmod 600 "$M"`, nil, looked},
	} {
		if tc.name == "an unreadable marker" && os.Geteuid() == 0 {
			continue // root reads it anyway
		}
		if got := run(tc.script, tc.env...); !slices.Equal(got, tc.want) {
			t.Errorf("%s: the hooks ran %q, want %q", tc.name, got, tc.want)
		}
	}
	run(`"$PRE"`)
	if got := run(`"$POST"`); !slices.Equal(got, []string{"diff-tree"}) {
		t.Errorf("post-commit of another process than pre-commit's ran %q, want diff-tree", got)
	}
	r.wantStarted("no draft in any of them")

	// Staged drafts: pre-commit says so, and post-commit starts courier without looking; post-commit of
	// another process looks.
	r.write(draftA, validMD)
	r.git("add", draftA)
	if got := run(`"$PRE"; "$POST"`); !slices.Equal(got, skipped) {
		t.Errorf("a staged draft: the hooks ran %q, want %q", got, skipped)
	}
	r.wantStarted("a staged draft", "pre-commit", "post-commit")
	if m := r.marker(h); m != "" {
		t.Errorf("post-commit left the marker %q: it serves once", m)
	}
	run(`"$PRE"; cp "$M" "$M.saved"`)
	r.wantStarted("a staged draft", "pre-commit")
	if got := run(`cp "$M.saved" "$M"; "$POST"`); !slices.Equal(got, []string{"diff-tree"}) {
		t.Errorf("post-commit of another process than pre-commit's, which found drafts, ran %q, want diff-tree", got)
	}
	r.wantStarted("another process's drafts (none in HEAD)")
	r.git("reset", "-q")

	// A parent that is not git (a hook runner that outlives commits) never gets a marker.
	notGit := hookRunner(t, r, h, "java")
	if got := notGit(`"$PRE"; "$POST"`); !slices.Equal(got, looked) {
		t.Errorf("hooks run by another program ran %q, want %q", got, looked)
	}
}
