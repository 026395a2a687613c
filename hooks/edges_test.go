package hooks_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/monoco/courier/hooks"
)

// runPlain runs hook name in h with opts (Stdout, Stderr and Getenv filled in when unset).
func runPlain(t *testing.T, h *hooks.Repo, name string, o hooks.Options) *hooks.Result {
	t.Helper()
	if o.Stdout == nil {
		o.Stdout, o.Stderr = io.Discard, io.Discard
	}
	if o.Match == nil {
		o.Match = isDraft
	}
	res, err := hooks.Run(context.Background(), h, name, o)
	if err != nil {
		t.Fatalf("%s: %v (%+v)", name, err, res)
	}
	return res
}

// TestRunChecksSizeBeforeReading: a staged or committed draft over MaxSize is reported with its size
// and never read (docs/protocol.md, "Guarantees"; a 400 MB draft used to cost 1.4 GB).
func TestRunChecksSizeBeforeReading(t *testing.T) {
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	const size = 20 << 20
	r.write(draftA, "---\nprovider: file\nto: ops\n---\n"+strings.Repeat("x", size-len("---\nprovider: file\nto: ops\n---\n")))
	r.git("add", draftA)
	h := r.open()
	for _, hook := range []string{"pre-commit", "post-commit"} {
		if hook == "post-commit" {
			r.git("commit", "-q", "--no-verify", "-m", "big")
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res := runPlain(t, h, hook, hooks.Options{MaxSize: 1 << 20})
		runtime.ReadMemStats(&after)
		if len(res.Files) != 1 || res.Files[0].Size != size || res.Files[0].Content != nil {
			t.Fatalf("%s: files %+v; want %s with size %d and no content", hook, res.Files, draftA, size)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > size/4 {
			t.Errorf("%s allocated %d bytes for a %d-byte draft over the limit: it was read", hook, grew, size)
		}
	}
}

// TestRunReportsKinds: a symbolic link or a gitlink where a draft is expected is reported as such,
// unread, by every hook, so that it is refused rather than delivered (docs/protocol.md, "Hooks").
func TestRunReportsKinds(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	root := r.commit("root")
	link := "Issues/Features/work/FEAT-0001/drafts/link.md"
	sub := "Issues/Features/work/FEAT-0001/drafts/sub.md"
	if err := os.MkdirAll(filepath.Join(r.dir, filepath.Dir(link)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../README.md", filepath.Join(r.dir, link)); err != nil {
		t.Fatal(err)
	}
	r.git("add", link)
	r.git("update-index", "--add", "--cacheinfo", "160000,"+root+","+sub)
	h := r.open()
	check := func(hook string, files []hooks.File) {
		t.Helper()
		got := map[string]hooks.Kind{}
		for _, f := range files {
			got[f.Path] = f.Kind
			if f.Content != nil {
				t.Errorf("%s: %s was read: %q", hook, f.Path, f.Content)
			}
		}
		if len(files) != 2 || got[link] != hooks.Symlink || got[sub] != hooks.Gitlink {
			t.Errorf("%s: files %+v; want %s a symlink and %s a gitlink", hook, files, link, sub)
		}
	}
	check("pre-commit", runPlain(t, h, "pre-commit", hooks.Options{}).Files)
	r.git("commit", "-q", "--no-verify", "-m", "kinds")
	check("post-commit", runPlain(t, h, "post-commit", hooks.Options{}).Files)
}

// TestRunNotices: pre-commit names the staged paths Notice asks for, without reading them, and only
// those that differ from HEAD; COURIER_SKIP=1 names the drafts it skips.
func TestRunNotices(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.write("old/.monoco/x", "committed\n")
	r.commit("root")
	r.write(".monoco/mailbox/.state/seal.key", "key")
	r.git("add", "-f", ".monoco/mailbox/.state/seal.key")
	r.write(draftA, validMD)
	r.git("add", draftA)
	h := r.open()
	notice := func(p string) bool { return strings.Contains(p, ".monoco/") }
	res := runPlain(t, h, "pre-commit", hooks.Options{Notice: notice})
	if len(res.Noticed) != 1 || res.Noticed[0] != ".monoco/mailbox/.state/seal.key" || len(res.Files) != 1 {
		t.Errorf("noticed %q, files %+v; want only the staged key noticed and %s as a file", res.Noticed, res.Files, draftA)
	}
	skip := func(k string) string { return map[string]string{"COURIER_SKIP": "1"}[k] }
	res = runPlain(t, h, "pre-commit", hooks.Options{Notice: notice, Getenv: skip})
	if !res.Skipped || len(res.Files) != 1 || res.Files[0].Path != draftA || res.Files[0].Content != nil {
		t.Errorf("COURIER_SKIP=1: %+v; want %s named, unread", res, draftA)
	}
	r.git("commit", "-q", "--no-verify", "-m", "d")
	res = runPlain(t, h, "post-commit", hooks.Options{Getenv: skip})
	if !res.Skipped || len(res.Files) != 1 || res.Files[0].Path != draftA || res.Files[0].Content != nil {
		t.Errorf("post-commit with COURIER_SKIP=1: %+v; want %s named, unread", res, draftA)
	}
}
