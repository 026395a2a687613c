package drafts

import "testing"

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
