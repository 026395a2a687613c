package hooks_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/hooks"
)

func TestDraftPathspecs(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	got := hooks.DraftPathspecs(h, []string{"Issues/Features/work/{item}/drafts", "/odd [dir]*/x-{item}'s/out/", "drafts"}, h.MainWorktree+"/.monoco/mailbox")
	want := []string{
		":(glob,icase)**/drafts", ":(glob,icase)**/drafts/**", ":(glob,icase)**/draft", ":(glob,icase)**/draft/**",
		":(glob,icase)Issues/Features/work/*/drafts", ":(glob,icase)Issues/Features/work/*/drafts/**",
		`:(glob,icase)odd \[dir\]\*/x-*?s/out`, `:(glob,icase)odd \[dir\]\*/x-*?s/out/**`,
		":(glob,icase)drafts", ":(glob,icase)drafts/**",
		":(glob).monoco/mailbox", ":(glob).monoco/mailbox/**",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DraftPathspecs (-want +got):\n%s", diff)
	}
	// A mailbox outside the repository is no path a commit can stage.
	if got := hooks.DraftPathspecs(h, nil, "/elsewhere/mailbox"); len(got) != 4 {
		t.Errorf("mailbox outside: %q", got)
	}
}
