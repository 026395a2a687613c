package hooks_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/gitdir"
	"github.com/monoco/courier/hooks"
)

func TestOpenPlainRepoFromSubdirectory(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("a/b/c.txt", "x\n")
	got, err := hooks.Open(filepath.Join(r.dir, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	gitDir := filepath.Join(r.dir, ".git")
	want := &hooks.Repo{Layout: gitdir.Layout{Top: r.dir, GitDir: gitDir, CommonDir: gitDir, MainWorktree: r.dir, HooksDir: filepath.Join(gitDir, "hooks")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Open (-want +got):\n%s", diff)
	}
}

func TestOpenOutsideRepository(t *testing.T) {
	t.Parallel()
	_, err := hooks.Open(t.TempDir())
	if !errors.Is(err, hooks.ErrNotRepo) {
		t.Fatalf("Open outside a repository: err = %v, want ErrNotRepo", err)
	}
}

// commitRunsCourier commits a valid draft in r and checks that the fake courier validated and delivered it
// through the installed hooks.
func commitRunsCourier(t *testing.T, r *repo, draft string) {
	t.Helper()
	r.clearLog()
	r.write(draft, validMD)
	r.commit("add "+draft, draft)
	lines := r.logLines()
	blob := r.blob(validMD)
	for _, want := range []string{"validate " + draft + " " + blob, "deliver post-commit " + draft + " " + blob} {
		if !contains(lines, want) {
			t.Errorf("log lacks %q; log:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

func TestCoreHooksPath(t *testing.T) {
	t.Parallel()
	abs := filepath.Join(t.TempDir(), "shared-hooks")
	for _, tc := range []struct {
		name, value string
		want        func(r *repo) string
	}{
		{"absolute", abs, func(*repo) string { return abs }},
		{"relative", ".githooks", func(r *repo) string { return filepath.Join(r.dir, ".githooks") }},
		{"relative parent", "../outside-hooks", func(r *repo) string { return filepath.Join(filepath.Dir(r.dir), "outside-hooks") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			r.write("README.md", "# x\n")
			r.commit("init")
			r.git("config", "core.hooksPath", tc.value)
			r.write("sub/dir/f.txt", "y\n")
			h, err := hooks.Open(filepath.Join(r.dir, "sub", "dir"))
			if err != nil {
				t.Fatal(err)
			}
			if h.HooksDir != tc.want(r) || h.HooksTracked {
				t.Fatalf("HooksDir = %s (tracked %v), want %s (untracked)", h.HooksDir, h.HooksTracked, tc.want(r))
			}
			r.install(h)
			for _, name := range []string{"pre-commit", "post-commit", "post-rewrite"} {
				if _, err := os.Stat(filepath.Join(h.HooksDir, name)); err != nil {
					t.Errorf("hook not installed in core.hooksPath: %v", err)
				}
			}
			if _, err := os.Stat(filepath.Join(r.dir, ".git", "hooks", "pre-commit")); err == nil {
				t.Errorf("a hook was written to .git/hooks although core.hooksPath is set")
			}
			commitRunsCourier(t, r, draftA)
		})
	}
}

func TestGlobalCoreHooksPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "global-hooks")
	cfg := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(cfg, []byte("[core]\n\thooksPath = "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", cfg)
	r := newRepo(t)
	h := r.open()
	if h.HooksDir != dir {
		t.Fatalf("HooksDir = %s, want the global core.hooksPath %s", h.HooksDir, dir)
	}
	r.install(h)
	commitRunsCourier(t, r, draftA)
}

func TestTrackedHooksDirNeedsForce(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	husky := "#!/bin/sh\necho husky\n"
	r.write(".husky/pre-push", husky)
	r.commit("husky")
	r.git("config", "core.hooksPath", ".husky")
	h := r.open()
	if !h.HooksTracked || h.HooksDir != filepath.Join(r.dir, ".husky") {
		t.Fatalf("HooksDir = %s, tracked = %v; want %s/.husky, tracked", h.HooksDir, h.HooksTracked, r.dir)
	}
	before := snapshot(t, h.HooksDir)
	_, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t)})
	if err == nil || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "tracked") {
		t.Fatalf("Install into a tracked hooks dir without Force: err = %v, want an error explaining --force", err)
	}
	if diff := cmp.Diff(before, snapshot(t, h.HooksDir)); diff != "" {
		t.Fatalf("refused Install changed the directory:\n%s", diff)
	}
	if _, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t), Force: true}); err != nil {
		t.Fatalf("Install with Force: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(h.HooksDir, "pre-push")); err != nil || string(b) != husky {
		t.Errorf("husky's own hook changed: %q, %v", b, err)
	}
	commitRunsCourier(t, r, draftA)
}

func TestLinkedWorktree(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("init")
	wtDir := filepath.Join(filepath.Dir(r.dir), "wt")
	r.git("worktree", "add", "-q", "-b", "feat/FEAT-0001-x", wtDir)
	wt := r.at(wtDir)

	h, err := hooks.Open(filepath.Join(wtDir))
	if err != nil {
		t.Fatal(err)
	}
	common := filepath.Join(r.dir, ".git")
	want := &hooks.Repo{Layout: gitdir.Layout{
		Top:          wtDir,
		GitDir:       filepath.Join(common, "worktrees", "wt"),
		CommonDir:    common,
		MainWorktree: r.dir,
		HooksDir:     filepath.Join(common, "hooks"),
	}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Fatalf("Open in a linked worktree (-want +got):\n%s", diff)
	}
	wt.install(h)
	if _, err := os.Stat(filepath.Join(common, "hooks", "post-commit")); err != nil {
		t.Fatalf("install from the worktree did not write the common hooks dir: %v", err)
	}
	commitRunsCourier(t, wt, draftA)

	// CommitFiles resolves HEAD of the worktree, not of the main worktree.
	files, err := hooks.CommitFiles(h, "HEAD", isDraft)
	if err != nil || len(files) != 1 || files[0].Path != draftA {
		t.Fatalf("CommitFiles(HEAD) in the worktree = %+v, %v; want %s", files, err, draftA)
	}
	main, err := hooks.CommitFiles(r.open(), "HEAD", isDraft)
	if err != nil || len(main) != 0 {
		t.Fatalf("CommitFiles(HEAD) in the main worktree = %+v, %v; want none", main, err)
	}
}

func TestSubmodule(t *testing.T) {
	t.Parallel()
	sub := newRepo(t)
	sub.write("README.md", "# sub\n")
	sub.commit("init sub")
	super := newRepo(t)
	super.write("README.md", "# super\n")
	super.commit("init super")
	super.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.dir, "mod")
	super.commit("add submodule")

	modDir := filepath.Join(super.dir, "mod")
	m := super.at(modDir)
	m.config()
	h, err := hooks.Open(modDir)
	if err != nil {
		t.Fatal(err)
	}
	gitDir := filepath.Join(super.dir, ".git", "modules", "mod")
	want := &hooks.Repo{Layout: gitdir.Layout{Top: modDir, GitDir: gitDir, CommonDir: gitDir, MainWorktree: modDir, HooksDir: filepath.Join(gitDir, "hooks")}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Fatalf("Open in a submodule (-want +got):\n%s", diff)
	}
	m.install(h)
	m.git("checkout", "-q", "-b", "feat/FEAT-0001")
	commitRunsCourier(t, m, draftA)
	if _, err := os.Stat(filepath.Join(super.dir, ".git", "hooks", "pre-commit")); err == nil {
		t.Errorf("installing in the submodule wrote the superproject's hooks")
	}
}

func TestOpenWithoutWorktree(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	gitDir := filepath.Join(r.dir, ".git")
	h, err := hooks.Open(filepath.Join(gitDir, "hooks"))
	if err != nil {
		t.Fatal(err)
	}
	want := &hooks.Repo{Layout: gitdir.Layout{Top: r.dir, GitDir: gitDir, CommonDir: gitDir, MainWorktree: r.dir, HooksDir: filepath.Join(gitDir, "hooks")}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("Open inside .git (-want +got):\n%s", diff)
	}

	bare := filepath.Join(filepath.Dir(r.dir), "bare.git")
	r.git("init", "-q", "--bare", bare)
	h, err = hooks.Open(bare)
	if err != nil {
		t.Fatal(err)
	}
	want = &hooks.Repo{Layout: gitdir.Layout{Top: bare, GitDir: bare, CommonDir: bare, MainWorktree: bare, HooksDir: filepath.Join(bare, "hooks")}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("Open in a bare repository (-want +got):\n%s", diff)
	}
}
