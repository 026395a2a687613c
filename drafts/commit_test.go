package drafts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckStagedAndOfItem(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	ps := DefaultPatterns()
	mine, _ := ItemForBranch("FEAT-0001-x", ps)
	good := "---\nprovider: file\nto: x\n---\nhi\n"
	files := []Input{
		{Path: "Issues/Features/work/FEAT-0001/drafts/a.md", Content: []byte(good)},
		{Path: "Issues/Features/work/FEAT-0002/drafts/b.md", Content: []byte(good)},
		{Path: "Issues/Features/work/FEAT-0001/drafts/bad.md", Content: []byte("---\nprovider: file\n---\nhi\n")},
	}
	type verdict struct {
		Path, Other string
		Bad         bool
	}
	check := func(info StampInfo) []verdict {
		var out []verdict
		for _, s := range v.CheckStaged(files, info, ps) {
			out = append(out, verdict{s.Path, s.OtherItem, len(s.Invalid) > 0})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		info StampInfo
		want []verdict
	}{
		{"item branch", StampInfo{Item: mine, Branch: "FEAT-0001-x"}, []verdict{
			{files[0].Path, "", false}, {files[1].Path, "FEAT-0002", false}, {files[2].Path, "", true}}},
		{"other branch", StampInfo{Branch: "main"}, []verdict{
			{files[0].Path, "FEAT-0001", false}, {files[1].Path, "FEAT-0002", false}, {files[2].Path, "FEAT-0001", true}}},
		{"detached", StampInfo{}, []verdict{
			{files[0].Path, "", false}, {files[1].Path, "", false}, {files[2].Path, "", true}}},
	} {
		if diff := cmp.Diff(tc.want, check(tc.info)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	got := OfItem(files, mine, ps)
	if len(got) != 2 || got[0].Path != files[0].Path || got[1].Path != files[2].Path {
		t.Errorf("OfItem = %v", got)
	}
	if OfItem(files, Item{}, ps) != nil {
		t.Error("OfItem of no item: want nothing")
	}
}

func TestUnder(t *testing.T) {
	t.Parallel()
	mk := func(dirs ...string) []Pattern {
		var ps []Pattern
		for _, d := range dirs {
			ps = append(ps, Pattern{Dir: d})
		}
		return ps
	}
	for _, tc := range []struct {
		name string
		ps   []Pattern
		want string
	}{
		{"defaults", DefaultPatterns(), "Issues/"},
		{"one", mk("work/items/{item}/drafts"), "work/items/"},
		{"deeper shared", mk("a/b/x/{item}/d", "a/b/y/{item}/d"), "a/b/"},
		{"nothing shared", mk("a/{item}/d", "b/{item}/d"), ""},
		{"item at the top", mk("{item}/drafts"), ""},
	} {
		if got := Under(tc.ps); got != tc.want {
			t.Errorf("%s: Under = %q, want %q", tc.name, got, tc.want)
		}
	}
}
