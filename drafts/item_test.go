package drafts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestItemForBranch(t *testing.T) {
	t.Parallel()
	ps := DefaultPatterns()
	for _, tc := range []struct {
		branch string
		want   Item
		ok     bool
	}{
		{"FEAT-0172-some-slug", Item{"FEAT-0172", "feat", "Issues/Features/work/FEAT-0172/drafts"}, true},
		{"feat/FEAT-0172-x", Item{"FEAT-0172", "feat", "Issues/Features/work/FEAT-0172/drafts"}, true},
		{"feat/feat-0172-lower-case", Item{"FEAT-0172", "feat", "Issues/Features/work/FEAT-0172/drafts"}, true},
		{"FEAT-0172", Item{"FEAT-0172", "feat", "Issues/Features/work/FEAT-0172/drafts"}, true},
		{"user/fix/FIX-0003-crash", Item{"FIX-0003", "fix", "Issues/Fixes/work/FIX-0003/drafts"}, true},
		{"Chore-12", Item{"CHORE-12", "chore", "Issues/Chores/work/CHORE-12/drafts"}, true},
		{"epic/EPIC-0001-big-thing", Item{"EPIC-0001", "epic", "Issues/Epics/work/EPIC-0001/drafts"}, true},
		{"main", Item{}, false},
		{"myFEAT-0172", Item{}, false}, // the id must start the branch or follow a '/'
		{"feat/FEAT-", Item{}, false},
		{"", Item{}, false},
	} {
		got, ok := ItemForBranch(tc.branch, ps)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ItemForBranch(%q) = %+v, %v; want %+v, %v", tc.branch, got, ok, tc.want, tc.ok)
		}
	}
	custom := []Pattern{{Branch: regexp.MustCompile(`^task-(?P<item>T\d+)`), Dir: "work/{item}/out"}}
	if got, ok := ItemForBranch("task-T42-slug", custom); !ok || got != (Item{"T42", "t", "work/T42/out"}) {
		t.Errorf("custom pattern: %+v, %v", got, ok)
	}
}

func TestItemForPath(t *testing.T) {
	t.Parallel()
	ps := DefaultPatterns()
	feat := Item{"FEAT-0172", "feat", "Issues/Features/work/FEAT-0172/drafts"}
	for _, tc := range []struct {
		path string
		want Item
		ok   bool
	}{
		{"Issues/Features/work/FEAT-0172/drafts/reply.md", feat, true},
		{"./Issues/Features/work/FEAT-0172/drafts/reply.md", feat, true},
		{"Issues/Fixes/work/FIX-0003/drafts/a.md", Item{"FIX-0003", "fix", "Issues/Fixes/work/FIX-0003/drafts"}, true},
		{"Issues/Features/work/FEAT-0172/drafts/.hidden.md", Item{}, false},
		{"Issues/Features/work/FEAT-0172/drafts/_template.md", Item{}, false},
		{"Issues/Features/work/FEAT-0172/drafts/notes.txt", Item{}, false},
		{"Issues/Features/work/FEAT-0172/drafts/sub/reply.md", Item{}, false},
		{"Issues/Features/work/FEAT-0172/reply.md", Item{}, false},
		{"Issues/Features/work/FIX-0003/drafts/reply.md", Item{}, false}, // wrong kind for the directory
		{"Issues/Features/work/x/FEAT-1/drafts/reply.md", Item{}, false},
		{"other/FEAT-0172/drafts/reply.md", Item{}, false},
	} {
		got, ok := ItemForPath(tc.path, ps)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ItemForPath(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

// runGit runs git in dir with a fixed identity and no user or system configuration.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestFind(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	it, _ := ItemForBranch("feat/FEAT-0172-x", DefaultPatterns())
	dir := filepath.Join(repo, filepath.FromSlash(it.Dir))
	for _, n := range []string{"b.md", "a.md", ".hidden.md", "_template.md", "notes.txt", "sub/c.md"} {
		writeFile(t, filepath.Join(dir, n), "x")
	}
	if err := os.Symlink("a.md", filepath.Join(dir, "link.md")); err != nil {
		t.Fatal(err)
	}
	got, err := Find(repo, it)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{it.Dir + "/a.md", it.Dir + "/b.md", it.Dir + "/link.md"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Find (-want +got):\n%s", diff)
	}
	other, _ := ItemForBranch("FIX-1", DefaultPatterns())
	if got, err := Find(repo, other); err != nil || len(got) != 0 {
		t.Errorf("Find for an item without drafts: %v, %v", got, err)
	}
}

func TestLoadInput(t *testing.T) {
	repo := t.TempDir()
	rel := draftDir + "reply.md"
	content := "---\nprovider: file\nto: me\n---\nhi\n"
	writeFile(t, filepath.Join(repo, rel), content)
	var checkIn func(name, wd, p string)
	check := func(name, p string) { t.Helper(); checkIn(name, "", p) }
	checkIn = func(name, wd, p string) {
		t.Helper()
		in, err := LoadInput(repo, wd, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.Path != rel || string(in.Content) != content || in.Blob != BlobID([]byte(content)) {
			t.Errorf("%s: got %+v", name, in)
		}
	}
	check("absolute", filepath.Join(repo, rel))
	check("repository-relative", rel)
	t.Chdir(filepath.Join(repo, "Issues"))
	check("cwd-relative", "Features/work/FEAT-0172/drafts/reply.md")
	// Relative to the given working directory (courier -C DIR), not the process's.
	checkIn("wd-relative", filepath.Join(repo, "Issues", "Features", "work"), "FEAT-0172/drafts/reply.md")
	checkIn("wd-relative with ../", filepath.Join(repo, "Issues", "Fixes"), "../Features/work/FEAT-0172/drafts/reply.md")
	// A symlinked directory inside the repository resolves to the real path.
	if err := os.Symlink(filepath.Join(repo, "Issues"), filepath.Join(repo, "alias")); err != nil {
		t.Fatal(err)
	}
	check("through a symlinked directory", filepath.Join(repo, "alias/Features/work/FEAT-0172/drafts/reply.md"))
	if _, err := LoadInput(repo, "", filepath.Join(repo, "missing.md")); err == nil {
		t.Error("missing file: no error")
	}
	// A directory named like a draft is not a regular file.
	if err := os.Mkdir(filepath.Join(repo, "dir.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadInput(repo, "", filepath.Join(repo, "dir.md")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

func TestBlobID(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	for _, c := range []string{"", "hello\n", strings.Repeat("é", 1000)} {
		p := filepath.Join(dir, "f")
		writeFile(t, p, c)
		if want := runGit(t, dir, "hash-object", p); BlobID([]byte(c)) != want {
			t.Errorf("BlobID(%q...) = %s, git says %s", c[:min(len(c), 8)], BlobID([]byte(c)), want)
		}
	}
}

func TestCompilePatterns(t *testing.T) {
	t.Parallel()
	if ps, err := CompilePatterns(nil); err != nil || len(ps) != len(DefaultPatterns()) {
		t.Fatalf("none: %v, %v; want the defaults", ps, err)
	}
	ps, err := CompilePatterns([]PatternSpec{{Branch: `^(?P<item>T-\d+)`, Dir: "tasks/{item}/drafts"}})
	if err != nil {
		t.Fatal(err)
	}
	if it, ok := ItemForBranch("T-7-x", ps); !ok || it.Dir != "tasks/T-7/drafts" {
		t.Errorf("ItemForBranch = %+v, %v", it, ok)
	}
	for _, tc := range []struct {
		spec PatternSpec
		want string
	}{
		{PatternSpec{Branch: `(`, Dir: "d/{item}"}, "patterns[1].branch: error parsing regexp"},
		{PatternSpec{Branch: `T-\d+`, Dir: "d/{item}"}, "patterns[1]: branch needs a named group"},
		{PatternSpec{Branch: `(?P<item>T-\d+)`, Dir: "d"}, "patterns[1]: branch needs a named group"},
	} {
		_, err := CompilePatterns([]PatternSpec{{Branch: `(?P<item>A-\d+)`, Dir: "a/{item}"}, tc.spec})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q…", tc.spec, err, tc.want)
		}
	}
}
