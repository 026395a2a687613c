package gitdir

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestAsk: each place a command can start in, and what git says lives where.
func TestAsk(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null") // a core.hooksPath of the machine's would change HooksDir
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(root, "main")
	must(t, os.MkdirAll(filepath.Join(main, "sub"), 0o755))
	git(t, main, "init", "-q")
	git(t, main, "commit", "-q", "--allow-empty", "-m", "init")
	linked := filepath.Join(root, "linked")
	git(t, main, "worktree", "add", "-q", linked)
	bare := filepath.Join(root, "bare.git")
	git(t, root, "init", "-q", "--bare", bare)
	custom := filepath.Join(root, "custom")
	must(t, os.MkdirAll(custom, 0o755))
	git(t, custom, "init", "-q")
	git(t, custom, "config", "core.hooksPath", ".husky/_")

	dotgit := filepath.Join(main, ".git")
	cases := []struct {
		name, dir string
		want      Layout
	}{
		{"main worktree, a subdirectory", filepath.Join(main, "sub"),
			Layout{Top: main, GitDir: dotgit, CommonDir: dotgit, MainWorktree: main, HooksDir: filepath.Join(dotgit, "hooks")}},
		{"inside the git dir", dotgit,
			Layout{Top: main, GitDir: dotgit, CommonDir: dotgit, MainWorktree: main, HooksDir: filepath.Join(dotgit, "hooks")}},
		{"linked worktree", linked,
			Layout{Top: linked, GitDir: filepath.Join(dotgit, "worktrees", "linked"), CommonDir: dotgit, MainWorktree: main,
				HooksDir: filepath.Join(dotgit, "hooks")}},
		{"bare repository", bare,
			Layout{Top: bare, GitDir: bare, CommonDir: bare, MainWorktree: bare, HooksDir: filepath.Join(bare, "hooks")}},
		{"core.hooksPath, relative", custom,
			Layout{Top: custom, GitDir: filepath.Join(custom, ".git"), CommonDir: filepath.Join(custom, ".git"), MainWorktree: custom,
				HooksDir: filepath.Join(custom, ".husky", "_")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Ask(c.dir)
			if err != nil || got != c.want {
				t.Errorf("Ask(%s) = %+v, %v\nwant %+v", c.dir, got, err, c.want)
			}
		})
	}
	outside := filepath.Join(root, "plain")
	must(t, os.MkdirAll(outside, 0o755))
	t.Setenv("GIT_CEILING_DIRECTORIES", root)
	if _, err := Ask(outside); !errors.Is(err, ErrNotRepo) {
		t.Errorf("Ask outside a repository: %v, want ErrNotRepo", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
