package hooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/monoco/courier/hooks"
)

func TestStagedFilesReadsTheGivenIndex(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write(draftA, validMD)
	r.write("other.txt", "o\n")
	r.commit("root")
	h := r.open()

	tmp := filepath.Join(h.GitDir, "tmp-index")
	env := []string{"GIT_INDEX_FILE=" + tmp}
	r.write(draftB, noToMD)
	if _, e, err := r.run(env, "read-tree", "HEAD"); err != nil {
		t.Fatal(e)
	}
	if _, e, err := r.run(env, "add", draftB); err != nil {
		t.Fatal(e)
	}
	r.write(draftB, validMD) // the worktree changes after staging

	files, err := hooks.StagedFiles(h, tmp, isDraft)
	if err != nil {
		t.Fatal(err)
	}
	want := []hooks.File{
		{Path: draftA, Blob: r.blob(validMD), Content: []byte(validMD)},
		{Path: draftB, Blob: r.blob(noToMD), Content: []byte(noToMD)},
	}
	if diff := cmp.Diff(want, files, ignoreSize); diff != "" {
		t.Errorf("StagedFiles(temporary index) (-want +got):\n%s", diff)
	}
	files, err = hooks.StagedFiles(h, "", isDraft)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:1], files, ignoreSize); diff != "" {
		t.Errorf("StagedFiles(default index) (-want +got):\n%s", diff)
	}
}

// runHook calls hooks.Run in-process with the fake actions and returns exit code, stdout, stderr and log.

func TestStagedFilesSplitIndex(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	r.git("update-index", "--split-index")
	r.write(draftA, noToMD)
	r.git("add", draftA)
	h := r.open()
	files, err := hooks.StagedFiles(h, "", isDraft)
	want := []hooks.File{{Path: draftA, Blob: r.blob(noToMD), Content: []byte(noToMD)}}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, files, ignoreSize); diff != "" {
		t.Errorf("StagedFiles with a split index (-want +got):\n%s", diff)
	}
}

func TestCommitFiles(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	c := "Issues/Fixes/work/FIX-0002/drafts/c.md"
	r.write(draftA, validMD)
	r.write(c, validMD)
	r.write("Issues/Features/work/FEAT-0001/notes.md", "not a draft\n")
	r.write("src/main.go", "package main\n")
	root := r.commit("root")
	h := r.open()

	files, err := hooks.CommitFiles(h, root, isDraft)
	if err != nil {
		t.Fatal(err)
	}
	want := []hooks.File{
		{Path: draftA, Blob: r.blob(validMD), Content: []byte(validMD)},
		{Path: c, Blob: r.blob(validMD), Content: []byte(validMD)},
	}
	if diff := cmp.Diff(want, files, ignoreSize); diff != "" {
		t.Errorf("CommitFiles(root) (-want +got):\n%s", diff)
	}

	r.write(draftA, valid2MD) // modified
	r.write(draftB, noToMD)   // added
	r.git("rm", "-q", c)      // deleted
	r.write("src/main.go", "package main // changed\n")
	r.write("Issues/Features/work/FEAT-0001/drafts/mode.md", validMD)
	second := r.commit("second")
	files, err = hooks.CommitFiles(h, "HEAD", isDraft)
	if err != nil {
		t.Fatal(err)
	}
	want = []hooks.File{
		{Path: draftA, Blob: r.blob(valid2MD), Content: []byte(valid2MD)},
		{Path: "Issues/Features/work/FEAT-0001/drafts/mode.md", Blob: r.blob(validMD), Content: []byte(validMD)},
		{Path: draftB, Blob: r.blob(noToMD), Content: []byte(noToMD)},
	}
	if diff := cmp.Diff(want, files, ignoreSize); diff != "" {
		t.Errorf("CommitFiles(second) (-want +got):\n%s", diff)
	}

	// A mode-only change is not new content.
	if err := os.Chmod(filepath.Join(r.dir, "Issues/Features/work/FEAT-0001/drafts/mode.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.commit("chmod")
	if files, err := hooks.CommitFiles(h, "main", isDraft); err != nil || len(files) != 0 {
		t.Errorf("CommitFiles(mode change) = %+v, %v; want none", files, err)
	}

	// Merge: a draft arriving by merge is not returned.
	r.git("checkout", "-q", "-b", "side", second)
	r.write("Issues/Features/work/FEAT-0003/drafts/side.md", validMD)
	r.commit("side draft")
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	files, err = hooks.CommitFiles(h, "HEAD", isDraft)
	if err != nil || files != nil {
		t.Errorf("CommitFiles(merge) = %+v, %v; want nil", files, err)
	}
	if _, err := hooks.CommitFiles(h, "no-such-branch", isDraft); err == nil {
		t.Errorf("CommitFiles(unknown revision) succeeded")
	}
}

func TestRewrittenFiles(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	h := r.open()
	r.write(draftA, validMD)
	first := r.commit("a")
	r.git("commit", "-q", "--amend", "-m", "a (amended, same content)")
	amended := r.git("rev-parse", "HEAD")
	r.write(draftB, noToMD)
	second := r.commit("b")

	// A rebase that rewrote both commits, with a stray merge and a blank line.
	r.git("checkout", "-q", "-b", "side", first)
	r.write("side.txt", "s\n")
	r.commit("side")
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--no-ff", "-m", "merge", "side")
	merge := r.git("rev-parse", "HEAD")
	input := first + " " + amended + "\n\n" + first + " " + amended + " extra\n" + second + " " + second + "\n" + first + " " + merge + "\n"

	files, err := hooks.RewrittenFiles(h, strings.NewReader(input), isDraft)
	if err != nil {
		t.Fatal(err)
	}
	want := []hooks.File{
		{Path: draftA, Blob: r.blob(validMD), Content: []byte(validMD)},
		{Path: draftB, Blob: r.blob(noToMD), Content: []byte(noToMD)},
	}
	if diff := cmp.Diff(want, files, ignoreSize); diff != "" {
		t.Errorf("RewrittenFiles (-want +got):\n%s", diff)
	}
	if _, err := hooks.RewrittenFiles(h, strings.NewReader("nonsense\n"), isDraft); err == nil {
		t.Errorf("RewrittenFiles accepted a malformed line")
	}
}

// ignoreSize leaves File.Size out of comparisons with wants written as content.
var ignoreSize = cmpopts.IgnoreFields(hooks.File{}, "Size")
