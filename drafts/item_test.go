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

func TestCurrentBranch(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	runGit(t, repo, "init", "-q", "-b", "feat/FEAT-0172-unborn")

	// Unborn: the branch from HEAD's symbolic ref, no commit.
	br, commit, err := CurrentBranch(repo)
	if err != nil || br != "feat/FEAT-0172-unborn" || commit != "" {
		t.Fatalf("unborn: %q %q %v", br, commit, err)
	}
	if it, ok := ItemForBranch(br, DefaultPatterns()); !ok || it.ID != "FEAT-0172" {
		t.Fatalf("unborn item: %+v %v", it, ok)
	}

	writeFile(t, filepath.Join(repo, "README"), "x\n")
	runGit(t, repo, "add", "README")
	runGit(t, repo, "commit", "-q", "-m", "one")
	head := runGit(t, repo, "rev-parse", "HEAD")
	br, commit, err = CurrentBranch(repo)
	if err != nil || br != "feat/FEAT-0172-unborn" || commit != head {
		t.Fatalf("after commit: %q %q %v; want commit %s", br, commit, err, head)
	}

	// From a subdirectory.
	sub := filepath.Join(repo, "Issues", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if br, _, err := CurrentBranch(sub); err != nil || br != "feat/FEAT-0172-unborn" {
		t.Fatalf("from a subdirectory: %q %v", br, err)
	}

	runGit(t, repo, "checkout", "-q", "-b", "Fix-0009-lower")
	br, _, _ = CurrentBranch(repo)
	if br != "Fix-0009-lower" {
		t.Fatalf("after checkout -b: %q", br)
	}
	if it, _ := ItemForBranch(br, DefaultPatterns()); it.ID != "FIX-0009" {
		t.Fatalf("item of %q: %+v", br, it)
	}

	// Detached HEAD: no branch, the commit.
	runGit(t, repo, "checkout", "-q", "--detach")
	br, commit, err = CurrentBranch(repo)
	if err != nil || br != "" || commit != head {
		t.Fatalf("detached: %q %q %v", br, commit, err)
	}
	runGit(t, repo, "checkout", "-q", "Fix-0009-lower")

	// Linked worktree: its own branch, the shared object store.
	wt := filepath.Join(t.TempDir(), "wt")
	runGit(t, repo, "worktree", "add", "-q", "-b", "chore/CHORE-0007-cleanup", wt)
	br, commit, err = CurrentBranch(wt)
	if err != nil || br != "chore/CHORE-0007-cleanup" || commit != head {
		t.Fatalf("linked worktree: %q %q %v", br, commit, err)
	}
	writeFile(t, filepath.Join(wt, "b"), "b\n")
	runGit(t, wt, "add", "b")
	runGit(t, wt, "commit", "-q", "-m", "two")
	if _, commit, _ := CurrentBranch(wt); commit != runGit(t, wt, "rev-parse", "HEAD") || commit == head {
		t.Fatalf("linked worktree after commit: %q", commit)
	}
	if br, _, _ := CurrentBranch(repo); br != "Fix-0009-lower" {
		t.Fatalf("main worktree after worktree commit: %q", br)
	}
	// An unborn branch in a linked worktree (orphan).
	runGit(t, wt, "checkout", "-q", "--orphan", "epic/EPIC-0002")
	if br, commit, err := CurrentBranch(wt); err != nil || br != "epic/EPIC-0002" || commit != "" {
		t.Fatalf("orphan in worktree: %q %q %v", br, commit, err)
	}

	if _, _, err := CurrentBranch(t.TempDir()); err == nil {
		t.Fatal("CurrentBranch outside a repository: no error")
	}
}

func TestFind(t *testing.T) {
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
