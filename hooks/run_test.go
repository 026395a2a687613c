package hooks_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoco/courier/hooks"
)

// foreignScript is a project's own hook: it logs its name, arguments and stdin to the shared log and
// exits with $FOREIGN_FAIL (default 0).
func foreignScript(name string) string {
	return "#!/bin/sh\n" +
		"{ printf 'foreign " + name + " %s\\n' \"$*\"; if [ " + name + " = post-rewrite ]; then sed 's/^/stdin /'; fi; } >> \"$COURIER_TEST_LOG\"\n" +
		"[ -n \"$FOREIGN_FAIL\" ] && { echo 'foreign " + name + " refuses' >&2; exit \"$FOREIGN_FAIL\"; }\n" +
		"exit 0\n"
}

func TestForeignPreCommitChained(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("init")
	h := r.open()
	writeForeign(t, filepath.Join(h.HooksDir, "pre-commit"), foreignScript("pre-commit"), 0o755)
	r.install(h)
	head := r.git("rev-parse", "HEAD")

	t.Run("passing foreign hook runs first, then courier validates", func(t *testing.T) {
		r.clearLog()
		r.write(draftA, validMD)
		r.commit("valid", draftA)
		lines := r.logLines()
		f, v := index(lines, "foreign pre-commit"), index(lines, "validate "+draftA)
		if f < 0 || v < 0 || f > v {
			t.Fatalf("want the foreign pre-commit before courier's validation; log:\n%s", strings.Join(lines, "\n"))
		}
		head = r.git("rev-parse", "HEAD")
	})
	t.Run("failing foreign hook blocks the commit before courier", func(t *testing.T) {
		r.clearLog()
		r.write("README.md", "# changed\n")
		r.git("add", "README.md")
		r.write(draftB, validMD)
		r.git("add", draftB)
		_, stderr, err := r.run([]string{"FOREIGN_FAIL=3"}, "commit", "-q", "-m", "blocked")
		if err == nil {
			t.Fatal("commit succeeded although the foreign pre-commit exited 3")
		}
		if r.git("rev-parse", "HEAD") != head {
			t.Fatal("HEAD moved")
		}
		if !strings.Contains(stderr, "foreign pre-commit refuses") || !strings.Contains(stderr, "exited 3") {
			t.Errorf("stderr = %q", stderr)
		}
		if lines := r.logLines(); index(lines, "validate") >= 0 || index(lines, "foreign pre-commit") < 0 {
			t.Errorf("log = %q, want the foreign hook and no courier validation", lines)
		}
		r.git("reset", "-q")
	})
	t.Run("courier blocks an invalid draft after a passing foreign hook", func(t *testing.T) {
		r.clearLog()
		r.write(draftB, noToMD)
		r.git("add", draftB)
		_, stderr, err := r.run(nil, "commit", "-q", "-m", "invalid")
		if err == nil || r.git("rev-parse", "HEAD") != head {
			t.Fatal("an invalid draft was committed")
		}
		if !strings.Contains(stderr, draftB+":1: to: required field is missing") {
			t.Errorf("stderr = %q", stderr)
		}
		if index(r.logLines(), "foreign pre-commit") < 0 {
			t.Errorf("the foreign hook did not run")
		}
	})
}

func TestForeignPostHooksChained(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("init")
	h := r.open()
	writeForeign(t, filepath.Join(h.HooksDir, "post-commit"), foreignScript("post-commit"), 0o755)
	writeForeign(t, filepath.Join(h.HooksDir, "post-rewrite"), foreignScript("post-rewrite"), 0o755)
	r.install(h)

	r.write(draftA, validMD)
	r.git("add", draftA)
	_, stderr, err := r.run([]string{"FOREIGN_FAIL=4"}, "commit", "-q", "-m", "draft")
	if err != nil {
		t.Fatalf("a failing foreign post-commit made the commit fail: %v %s", err, stderr)
	}
	if !strings.Contains(stderr, "exited 4; courier carries on") {
		t.Errorf("stderr does not report the foreign failure: %q", stderr)
	}
	lines := r.logLines()
	if f, d := index(lines, "foreign post-commit"), index(lines, "deliver post-commit "+draftA); f < 0 || d < f {
		t.Errorf("want the foreign post-commit then courier's delivery; log:\n%s", strings.Join(lines, "\n"))
	}

	// Amend with a changed draft: post-rewrite gets "old new" on stdin, both hooks see it.
	r.clearLog()
	old := r.git("rev-parse", "HEAD")
	r.write(draftA, valid2MD)
	r.git("add", draftA)
	r.git("commit", "-q", "--amend", "-m", "draft v2")
	amended := r.git("rev-parse", "HEAD")
	lines = r.logLines()
	for _, want := range []string{"foreign post-rewrite amend", "stdin " + old + " " + amended, "deliver post-rewrite " + draftA + " " + r.blob(valid2MD)} {
		if !contains(lines, want) {
			t.Errorf("log lacks %q; log:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

func TestCommitAllAndCommitPathUseTheStagedContent(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write(draftA, validMD)
	r.commit("root")
	h := r.open()
	r.install(h)
	head := r.git("rev-parse", "HEAD")

	r.write(draftA, noToMD) // tracked draft made invalid in the worktree only
	for _, args := range [][]string{
		{"commit", "-q", "-a", "-m", "all"},
		{"commit", "-q", "-m", "path", "--", draftA},
		{"commit", "-q", "-m", "only", "--only", draftA},
	} {
		_, stderr, err := r.run(nil, args...)
		if err == nil || r.git("rev-parse", "HEAD") != head {
			t.Fatalf("git %v committed an invalid draft", args)
		}
		if !strings.Contains(stderr, draftA+":1: to: required field is missing") {
			t.Errorf("git %v: stderr = %q", args, stderr)
		}
	}

	// A fix left unstaged does not make the staged invalid draft pass.
	r.git("add", draftA)
	r.write(draftA, validMD)
	if _, _, err := r.run(nil, "commit", "-q", "-m", "unstaged fix"); err == nil || r.git("rev-parse", "HEAD") != head {
		t.Fatal("an invalid staged draft was committed because the worktree copy is valid")
	}

	// And the reverse: staged valid content commits although the worktree copy is broken.
	r.write(draftA, valid2MD)
	r.git("add", draftA)
	r.write(draftA, noToMD)
	r.clearLog()
	if _, stderr, err := r.run(nil, "commit", "-q", "-m", "staged fix"); err != nil {
		t.Fatalf("valid staged draft blocked: %v %s", err, stderr)
	}
	if !contains(r.logLines(), "validate "+draftA+" "+r.blob(valid2MD)) {
		t.Errorf("courier did not validate the staged blob; log: %q", r.logLines())
	}
}

func runHook(t *testing.T, h *hooks.Repo, name string, args []string, stdin string, env map[string]string) (int, string, string, string) {
	t.Helper()
	var out, errb, log bytes.Buffer
	code := runActions(context.Background(), h, name, args, strings.NewReader(stdin), &out, &errb,
		func(k string) string { return env[k] }, fakeActions(&log, name))
	return code, out.String(), errb.String(), log.String()
}

func TestRunPreCommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write(draftA, validMD)
	r.write("Issues/Features/work/FEAT-0001/drafts/gone.md", validMD)
	r.write("README.md", "# x\n")
	r.commit("root")
	h := r.open()

	t.Run("nothing staged: Validate not called", func(t *testing.T) {
		r.write("README.md", "# y\n")
		r.git("add", "README.md")
		code, _, stderr, log := runHook(t, h, "pre-commit", nil, "", nil)
		if code != 0 || log != "" || stderr != "" {
			t.Errorf("code %d, log %q, stderr %q; want 0 and no validation of unchanged drafts", code, log, stderr)
		}
	})
	t.Run("only added or modified drafts, relative GIT_INDEX_FILE", func(t *testing.T) {
		r.git("rm", "-q", "Issues/Features/work/FEAT-0001/drafts/gone.md")
		tmp := "tmp-index" // relative to the top, as git may pass it
		env := []string{"GIT_INDEX_FILE=" + filepath.Join(r.dir, tmp)}
		if _, e, err := r.run(env, "read-tree", "HEAD"); err != nil {
			t.Fatal(e)
		}
		r.write(draftB, noToMD)
		if _, e, err := r.run(env, "add", draftB); err != nil {
			t.Fatal(e)
		}
		code, _, stderr, log := runHook(t, h, "pre-commit", nil, "", map[string]string{"GIT_INDEX_FILE": tmp})
		if code != 1 || log != "validate "+draftB+" "+r.blob(noToMD)+"\n" || !strings.Contains(stderr, draftB+":1: to:") {
			t.Errorf("code %d, log %q, stderr %q; want 1 after validating only %s from the temporary index", code, log, stderr, draftB)
		}
		// The default index has the deletion staged and nothing else: nothing to validate.
		code, _, _, log = runHook(t, h, "pre-commit", nil, "", nil)
		if code != 0 || log != "" {
			t.Errorf("default index: code %d, log %q; want 0, nothing validated", code, log)
		}
	})
	t.Run("COURIER_SKIP", func(t *testing.T) {
		code, _, stderr, log := runHook(t, h, "pre-commit", nil, "", map[string]string{"GIT_INDEX_FILE": "tmp-index", "COURIER_SKIP": "1"})
		if code != 0 || log != "" || stderr != "courier: COURIER_SKIP=1, skipping pre-commit\n" {
			t.Errorf("code %d, log %q, stderr %q", code, log, stderr)
		}
	})
}

func TestRunUnknownHook(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	code, _, stderr, _ := runHook(t, r.open(), "pre-push", nil, "", nil)
	if code != 2 || !strings.Contains(stderr, `unknown hook "pre-push"`) {
		t.Errorf("code %d, stderr %q; want 2 and an error", code, stderr)
	}
}

func TestRunPostCommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	h := r.open()
	r.write(draftA, validMD)
	r.write("Notes/drafts/x.md", validMD) // outside Issues/: never matches
	r.commit("draft")
	for _, under := range []string{"", "Issues/"} {
		var out, errb, log bytes.Buffer
		a := fakeActions(&log, "post-commit")
		a.Under = under
		code := runActions(context.Background(), h, "post-commit", nil, nil, &out, &errb, func(string) string { return "" }, a)
		if want := "deliver post-commit " + draftA + " " + r.blob(validMD) + "\n"; code != 0 || log.String() != want || out.String() != "delivered "+draftA+"\n" {
			t.Errorf("Under %q: code %d, log %q, stdout %q, stderr %q; want %q", under, code, log.String(), out.String(), errb.String(), want)
		}
	}
}

func TestRebaseThroughHooks(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	r.install(r.open())
	r.git("checkout", "-q", "-b", "feat/FEAT-0001")
	r.write(draftA, validMD)
	r.commit("draft")
	r.git("checkout", "-q", "main")
	r.write("main.txt", "m\n")
	r.commit("main moves")
	r.git("checkout", "-q", "feat/FEAT-0001")
	r.clearLog()
	r.git("rebase", "-q", "main")
	lines := r.logLines()
	if !contains(lines, "deliver post-rewrite "+draftA+" "+r.blob(validMD)) {
		t.Errorf("post-rewrite after rebase did not hand the rebased draft to Deliver; log:\n%s", strings.Join(lines, "\n"))
	}
	if index(lines, "deliver post-rewrite main.txt") >= 0 {
		t.Errorf("a non-draft was delivered")
	}
}

func TestCourierSkip(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	h := r.open()
	writeForeign(t, filepath.Join(h.HooksDir, "pre-commit"), foreignScript("pre-commit"), 0o755)
	r.install(h)
	r.clearLog()
	r.write(draftA, noToMD)
	r.git("add", draftA)
	_, stderr, err := r.run([]string{"COURIER_SKIP=1"}, "commit", "-q", "-m", "skip")
	if err != nil {
		t.Fatalf("COURIER_SKIP=1 commit failed: %v %s", err, stderr)
	}
	for _, name := range []string{"pre-commit", "post-commit"} {
		if n := count(stderr, "courier: COURIER_SKIP=1, skipping "+name); n != 1 {
			t.Errorf("%d skip lines for %s, want 1; stderr:\n%s", n, name, stderr)
		}
	}
	lines := r.logLines()
	if index(lines, "foreign pre-commit") < 0 || index(lines, "courier ") >= 0 {
		t.Errorf("log = %q, want the foreign hook to run and courier not to", lines)
	}

	// The foreign hook still counts when courier is skipped.
	r.write(draftA, validMD)
	r.git("add", draftA)
	if _, _, err := r.run([]string{"COURIER_SKIP=1", "FOREIGN_FAIL=1"}, "commit", "-q", "-m", "x"); err == nil {
		t.Errorf("COURIER_SKIP=1 also skipped the blocking foreign pre-commit")
	}
}

// pathWithOnlyGit returns a PATH holding git and, if courier is set, a `courier` link to it.
func pathWithOnlyGit(t *testing.T, courier string) string {
	t.Helper()
	dir := t.TempDir()
	g, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(g, filepath.Join(dir, "git")); err != nil {
		t.Fatal(err)
	}
	if courier != "" {
		if err := os.Symlink(courier, filepath.Join(dir, "courier")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCourierBinaryMissing(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	h := r.open()
	writeForeign(t, filepath.Join(h.HooksDir, "pre-commit"), foreignScript("pre-commit"), 0o755)
	gone := filepath.Join(t.TempDir(), "courier")
	if _, err := hooks.Install(h, hooks.InstallOptions{Binary: gone}); err != nil {
		t.Fatal(err)
	}
	path := []string{"PATH=" + pathWithOnlyGit(t, "")}
	r.clearLog()
	r.write(draftA, noToMD)
	r.git("add", draftA)
	_, stderr, err := r.run(path, "commit", "-q", "-m", "no courier")
	if err != nil {
		t.Fatalf("commit without courier failed: %v\n%s", err, stderr)
	}
	line := "courier: binary not found (was " + gone + "); reinstall courier or run 'courier hooks uninstall'; not blocking this commit"
	if n := count(stderr, line); n != 2 || strings.Count(stderr, "\n") != 2 {
		t.Errorf("stderr = %q; want exactly %q once per hook (pre-commit, post-commit)", stderr, line)
	}
	if lines := r.logLines(); index(lines, "foreign pre-commit") < 0 {
		t.Errorf("the chained foreign hook did not run: %q", lines)
	}

	// The foreign pre-commit's exit status still counts.
	r.write("README.md", "# y\n")
	r.git("add", "README.md")
	if _, _, err := r.run(append(path, "FOREIGN_FAIL=1"), "commit", "-q", "-m", "x"); err == nil {
		t.Errorf("commit succeeded although the chained foreign pre-commit failed")
	}

	// Missing at the recorded path but on PATH: the hook uses it.
	r.clearLog()
	r.git("reset", "-q", "--hard")
	r.write(draftB, noToMD)
	r.git("add", draftB)
	_, stderr, err = r.run([]string{"PATH=" + pathWithOnlyGit(t, testBinary(t))}, "commit", "-q", "-m", "x")
	if err == nil || !strings.Contains(stderr, draftB+":1: to: required field is missing") {
		t.Errorf("courier on PATH was not used: err %v, stderr %q", err, stderr)
	}
}

func TestRunChainedWithoutShebangOrExecBit(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	h := r.open()
	out := filepath.Join(t.TempDir(), "ran")
	chained := filepath.Join(h.HooksDir, "pre-commit.courier-chained")
	// No #! line: git runs such a hook with the shell, and so does Run.
	writeForeign(t, chained, "echo \"$1\" > '"+out+"'\nexit 5\n", 0o755)
	code, _, stderr, _ := runHook(t, h, "pre-commit", []string{"arg1"}, "", nil)
	if b, err := os.ReadFile(out); err != nil || string(b) != "arg1\n" || code != 5 {
		t.Fatalf("chained script without #!: code %d, output %q (%v), stderr %q; want it run with its args and its exit 5 returned", code, b, err, stderr)
	}
	os.Remove(out)
	// Not executable: git would not run it, so Run does not either.
	if err := os.Chmod(chained, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr, _ = runHook(t, h, "pre-commit", nil, "", nil)
	if _, err := os.Stat(out); err == nil || code != 0 || !strings.Contains(stderr, "not executable") {
		t.Errorf("non-executable chained hook: code %d, ran %v, stderr %q", code, err == nil, stderr)
	}
}

func TestRootCommitThroughHooks(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.install(r.open())
	r.write(draftA, noToMD)
	r.git("add", draftA)
	if _, stderr, err := r.run(nil, "commit", "-q", "-m", "root"); err == nil || !strings.Contains(stderr, draftA+":1: to:") {
		t.Fatalf("root commit of an invalid draft: err %v, stderr %q; want blocked", err, stderr)
	}
	r.write(draftA, validMD)
	r.clearLog()
	r.commit("root", draftA)
	if !contains(r.logLines(), "deliver post-commit "+draftA+" "+r.blob(validMD)) {
		t.Errorf("root commit not delivered; log %q", r.logLines())
	}
}
