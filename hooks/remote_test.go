package hooks_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/hooks"
)

// remoteRepos is a bare origin with one pushed branch and a bare clone that fetches it.
func remoteRepos(t *testing.T) (agent *repo, central *hooks.Repo) {
	t.Helper()
	agent = newRepo(t)
	origin := filepath.Join(filepath.Dir(agent.dir), "origin.git")
	agent.git("init", "-q", "--bare", origin)
	agent.git("remote", "add", "origin", origin)
	agent.write("README.md", "hi\n")
	agent.commit("root")
	agent.git("push", "-q", "origin", "main")
	dir := filepath.Join(filepath.Dir(agent.dir), "central.git")
	agent.git("clone", "-q", "--bare", origin, dir)
	c, err := hooks.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return agent, c
}

// Fetch gives a bare clone remote-tracking refs; the walk lists what each commit added or changed,
// oldest first, and blobs are read with their size checked first.
func TestRemoteWalk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	agent, c := remoteRepos(t)
	all := func(string) bool { return true }
	agent.git("checkout", "-q", "-b", "feat/FEAT-1")
	agent.write("d/a.md", "one\n")
	c1 := agent.commit("a")
	agent.write("d/a.md", "two\n")
	agent.write("d/b.md", strings.Repeat("x", 100))
	c2 := agent.commit("a again, b")
	agent.git("rm", "-q", "d/b.md")
	agent.commit("rm b")
	agent.git("push", "-q", "origin", "feat/FEAT-1")
	if err := hooks.Fetch(ctx, c, "origin"); err != nil {
		t.Fatal(err)
	}
	branches, err := hooks.RemoteBranches(ctx, c, "origin")
	if err != nil {
		t.Fatal(err)
	}
	tip := agent.git("rev-parse", "HEAD")
	if diff := cmp.Diff(map[string]string{"main": agent.git("rev-parse", "main"), "feat/FEAT-1": tip}, branches); diff != "" {
		t.Fatalf("branches (-want +got):\n%s", diff)
	}
	commits, connected, err := hooks.NewCommits(ctx, c, branches["main"], tip)
	if err != nil || !connected || len(commits) != 3 || commits[0] != c1 {
		t.Fatalf("NewCommits = %v %v %v", commits, connected, err)
	}
	files, err := hooks.ChangedFiles(ctx, c, commits, "d/", all)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Commit[:7]+" "+f.Path+" "+f.Mode)
	}
	want := []string{c1[:7] + " d/a.md 100644", c2[:7] + " d/a.md 100644", c2[:7] + " d/b.md 100644"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ChangedFiles (-want +got):\n%s", diff)
	}
	blobs, err := hooks.ReadBlobs(ctx, c, []string{files[0].Blob, files[2].Blob}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if b := blobs[files[0].Blob]; string(b.Content) != "one\n" || b.Size != 4 {
		t.Errorf("small blob = %+v", b)
	}
	if b := blobs[files[2].Blob]; b.Content != nil || b.Size != 100 {
		t.Errorf("blob over the limit = size %d, %d bytes read; want its size only", b.Size, len(b.Content))
	}
	tree, err := hooks.TreeFiles(ctx, c, tip, "", all)
	if err != nil || len(tree) != 2 || tree[1].Path != "d/a.md" || tree[1].Commit != tip {
		t.Errorf("TreeFiles = %+v %v", tree, err)
	}
	if _, err := os.Stat(filepath.Join(c.GitDir, "index")); err == nil {
		t.Error("the bare clone got an index: something was checked out")
	}
	if _, _, err := hooks.NewCommits(ctx, c, strings.Repeat("ab", 20), tip); err == nil {
		t.Error("NewCommits from an unknown commit succeeded")
	}
	if err := hooks.Fetch(ctx, c, "--upload-pack=touch /tmp/x"); err == nil {
		t.Error("Fetch took an option for a remote name")
	}
}

// A validate-only install writes pre-commit alone and Status says so, without warning that the
// delivery hooks are missing.
func TestInstallValidateOnly(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	rp, err := hooks.Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := hooks.Install(rp, hooks.InstallOptions{ValidateOnly: true})
	if err != nil || len(lines) != 1 || lines[0] != "installed pre-commit" {
		t.Fatalf("Install = %q, %v", lines, err)
	}
	st, err := hooks.Status(rp)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ValidateOnly() || len(st.Warnings) > 0 {
		t.Errorf("status: validate-only %v, warnings %q", st.ValidateOnly(), st.Warnings)
	}
	if _, err := hooks.Install(rp, hooks.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := hooks.Status(rp); st.ValidateOnly() {
		t.Error("a full install still reads as validate-only")
	}
}
