package hooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/hooks"
)

// OpenHook finds what Open finds (but HooksTracked), without git, where courier's hook script starts it.
func TestOpenHookAgreesWithOpen(t *testing.T) {
	t.Parallel()
	main := newRepo(t)
	main.write("README.md", "x\n")
	main.commit("root")
	linked := filepath.Join(t.TempDir(), "linked")
	main.git("worktree", "add", "-q", "-b", "linked", linked)
	sub := newRepo(t)
	sub.write("a", "a\n")
	sub.commit("a")
	main.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.dir, "mod")
	hooksPath := newRepo(t)
	hooksPath.git("config", "core.hooksPath", "custom")
	hooksPath.write("custom/.keep", "")
	for _, dir := range []string{main.dir, linked, filepath.Join(main.dir, "mod"), hooksPath.dir} {
		want, err := hooks.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		want.HooksTracked = false
		// As the hook script names its directory: relative to the top (git runs `.git/hooks/pre-commit`).
		rel, err := filepath.Rel(dir, want.HooksDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, hookDir := range []string{rel, want.HooksDir} {
			got, err := hooks.OpenHook(dir, env(hooks.HookDirEnv, hookDir))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("OpenHook(%s, %s) (-Open +OpenHook):\n%s", dir, hookDir, diff)
			}
		}
	}
}

// Where OpenHook cannot tell without git, it asks git: the results are Open's.
func TestOpenHookFallsBackToGit(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("src/a.txt", "x\n")
	r.commit("root")
	h := r.open()
	sub := filepath.Join(r.dir, "src")
	for _, tc := range []struct {
		name, dir string
		env       []string
	}{
		{"started by hand", r.dir, nil},
		{"from a subdirectory", sub, []string{hooks.HookDirEnv, h.HooksDir}},
		{"GIT_DIR set", r.dir, []string{hooks.HookDirEnv, h.HooksDir, "GIT_DIR", filepath.Join(r.dir, ".git")}},
		{"a hooks directory that is gone", r.dir, []string{hooks.HookDirEnv, filepath.Join(r.dir, "gone")}},
	} {
		got, err := hooks.OpenHook(tc.dir, env(tc.env...))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.Top != r.dir || got.HooksDir != h.HooksDir {
			t.Errorf("%s: OpenHook = %+v, want Open's %+v", tc.name, got, h)
		}
	}
	if _, err := hooks.OpenHook(t.TempDir(), env(hooks.HookDirEnv, h.HooksDir)); err == nil {
		t.Error("OpenHook outside a repository: no error")
	}
}

// env is a getenv of key, value pairs.
func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

// A commit with a draft starts courier in pre-commit and post-commit, and neither runs git to find the
// repository; post-commit knows from pre-commit's marker that the commit has a draft.
func TestHooksStartCourierWithoutGit(t *testing.T) {
	t.Parallel()
	r, _ := fastRepo(t)
	trace := filepath.Join(t.TempDir(), "trace")
	r.write(draftA, validMD)
	r.git("add", draftA)
	if _, stderr, err := r.run([]string{"GIT_TRACE=" + trace}, "commit", "-q", "-m", "draft"); err != nil {
		t.Fatalf("commit: %v\n%s", err, stderr)
	}
	r.wantStarted("a commit with a draft", "pre-commit", "post-commit")
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	var gits []string
	for _, l := range strings.Split(string(b), "\n") {
		_, cmd, ok := strings.Cut(l, "trace: built-in: git ")
		if name := strings.Fields(cmd + " x")[0]; ok && name != "commit" && name != "maintenance" { // git's own
			gits = append(gits, name)
		}
	}
	if want := []string{"diff"}; !cmp.Equal(want, gits) {
		t.Errorf("git commands = %q, want %q", gits, want)
	}
}
