package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/gitdir"
	"github.com/monoco/courier/hooks"
)

// TestPreCommitSessionErrorIsPrinted: when the pre-commit hook cannot set up validation (here the
// worktree is not a repository go-git can read), the commit is blocked with one line saying why,
// never silently.
func TestPreCommitSessionErrorIsPrinted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	cfg, err := loadConfig(filepath.Join(dir, ".monoco", "courier.yaml"), false, dir, getenv)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{getenv: getenv, now: time.Now, dir: dir, repo: &hooks.Repo{Layout: gitdir.Layout{Top: dir, MainWorktree: dir}}, root: dir, cfg: cfg}
	var stderr bytes.Buffer
	files := []drafts.Touched{{Path: "Issues/Features/work/FEAT-1/drafts/a.md", Content: []byte("---\nprovider: file\nto: x\n---\nhi\n")}}
	_, err = a.draftsHook(false).Run(context.Background(), "pre-commit", files, nil, false)
	if err == nil {
		t.Fatal("preCommit: no error")
	}
	if code := report(err, &stderr); code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	got := lines(stderr.String())
	if len(got) != 1 || !strings.HasPrefix(got[0], "courier: pre-commit: ") || !strings.Contains(got[0], dir) {
		t.Errorf("stderr = %q, want one line naming the failure", stderr.String())
	}
}
