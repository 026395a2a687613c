package drafts

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestMisplaced(t *testing.T) {
	ps := DefaultPatterns()
	for _, tc := range []struct {
		name, path string
		misplaced  bool
		want       string
	}{
		{"a draft", "Issues/Features/work/FEAT-1/drafts/x.md", false, ""},
		{"an ignored name", "Issues/Features/work/FEAT-1/drafts/_x.md", false, ""},
		{"not markdown", "Issues/Features/work/FEAT-1/drafts/sub/x.txt", false, ""},
		{"unrelated drafts folder", "docs/drafts/notes.md", false, ""},
		{"an item's README", "Issues/Features/work/FEAT-1/README.md", false, ""},
		{"sub-folder", "Issues/Features/work/FEAT-1/drafts/sub/nested.md", true, "Issues/Features/work/FEAT-1/drafts"},
		{"deep sub-folder", "Issues/Fixes/work/FIX-2/drafts/a/b/c.md", true, "Issues/Fixes/work/FIX-2/drafts"},
		{"kind typo", "Issues/Feature/work/FEAT-1/drafts/x.md", true, "Issues/Features/work/FEAT-1/drafts"},
		{"singular", "Issues/Features/work/FEAT-1/draft/x.md", true, "Issues/Features/work/FEAT-1/drafts"},
		{"case", "Issues/Features/work/FEAT-1/Drafts/x.md", true, "Issues/Features/work/FEAT-1/drafts"},
		{"unknown kind", "Issues/Bugs/work/BUG-3/drafts/x.md", true, ""},
		{"outside Issues by id", "work/FEAT-7/drafts/x.md", true, "Issues/Features/work/FEAT-7/drafts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := Misplaced(tc.path, ps)
			if got != tc.misplaced || want != tc.want {
				t.Errorf("Misplaced(%q) = %v, %q; want %v, %q", tc.path, got, want, tc.misplaced, tc.want)
			}
		})
	}
}

// TestPathspecsCoverMisplaced: git itself, given Pathspecs, lists every draft and misplaced draft
// staged, so that a hook script may skip courier when it lists nothing (README.md, "Git hooks").
func TestPathspecsCoverMisplaced(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "-q")
	want := []string{
		"Issues/Feature/work/FEAT-1/drafts/x.md",
		"Issues/Features/work/FEAT-1/Drafts/x.md",
		"Issues/Features/work/FEAT-1/draft/y.md",
		"Issues/Features/work/FEAT-1/drafts/ok.md",
		"Issues/Features/work/FEAT-1/drafts/sub/nested.md",
		"work/FEAT-7/drafts/x.md",
	}
	for _, p := range append(want, "README.md", "docs/notes.md", "Issues/Features/work/FEAT-1/README.md") {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("add", "-A")
	out := git(append([]string{"diff", "--cached", "--name-only", "--"}, Pathspecs(DefaultPatterns())...)...)
	got := strings.Fields(out)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("pathspecs select\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range want {
		if _, ok := ItemForPath(p, DefaultPatterns()); !ok {
			if bad, _ := Misplaced(p, DefaultPatterns()); !bad {
				t.Errorf("%s is selected but neither a draft nor misplaced", p)
			}
		}
	}
}
