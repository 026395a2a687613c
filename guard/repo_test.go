package guard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiscoverAgreesWithGit compares Discover with `git rev-parse` in the layouts it claims to read.
func TestDiscoverAgreesWithGit(t *testing.T) {
	f := newFixture(t)
	home := t.TempDir()
	getenv := func(k string) string {
		return map[string]string{"HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "XDG_CONFIG_HOME": filepath.Join(home, ".config")}[k]
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	check := func(name, dir string) {
		t.Helper()
		r, ok := Discover(dir, getenv)
		if !ok {
			t.Fatalf("%s: not sure", name)
		}
		out := strings.Split(git(t, dir, "rev-parse", "--path-format=absolute", "--show-toplevel", "--absolute-git-dir", "--git-common-dir", "--git-path", "hooks"), "\n")
		want := Repo{Top: out[0], GitDir: out[1], CommonDir: out[2], HooksDir: out[3], MainWorktree: f.root}
		if r != want {
			t.Errorf("%s:\n got %+v\nwant %+v", name, r, want)
		}
		if g, err := GitOpen(dir); err != nil || g != want {
			t.Errorf("%s: GitOpen:\n got %+v, %v\nwant %+v", name, g, err, want)
		}
	}
	check("main", f.root)
	check("subdir", filepath.Join(f.root, "src"))
	check("linked", f.linked)
	git(t, f.root, "config", "core.hooksPath", ".husky")
	check("relative hooksPath", f.root)
	check("relative hooksPath, linked", f.linked)
	git(t, f.root, "config", "core.hooksPath", "/opt/hooks")
	check("absolute hooksPath", f.root)
	git(t, f.root, "config", "--unset", "core.hooksPath")
	must(t, os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[core]\n\thooksPath = \"~/githooks\" ; global\n"), 0o600))
	check("global hooksPath", f.linked)
	git(t, f.root, "config", "core.hooksPath", "local-hooks")
	check("local wins over global", f.root)

	must(t, os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[include]\n\tpath = other\n"), 0o600))
	if _, ok := Discover(f.root, getenv); ok {
		t.Error("sure despite an include")
	}
	if _, ok := Discover(f.root, func(k string) string { return map[string]string{"GIT_DIR": "/x"}[k] }); ok {
		t.Error("sure despite GIT_DIR")
	}
	outside := t.TempDir()
	if _, ok := Discover(outside, getenv); ok {
		t.Error("found a repository outside any")
	}
	if _, err := GitOpen(outside); err == nil || err.Error() != "open repository "+outside+": not a git repository" {
		t.Errorf("GitOpen outside a repository: %v", err)
	}
}
