package drafts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadItemCheckLines(t *testing.T) {
	top := t.TempDir()
	it, _ := ItemForBranch("FEAT-0172-x", DefaultPatterns())
	dir := filepath.Join(top, filepath.FromSlash(it.Dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	good := "---\nprovider: email\nto: [a@example.com]\nsubject: hi\n---\nhello\n"
	for name, data := range map[string]string{"a.md": good, "b.md": "---\nprovider: nope\n---\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ins, invalid, err := LoadItem(top, top, it, nil, nil)
	if err != nil || len(ins) != 2 || len(invalid) != 0 {
		t.Fatalf("LoadItem = %d inputs, %v, %v", len(ins), invalid, err)
	}
	one, _, err := LoadItem(top, dir, it, []string{"a.md"}, nil)
	if err != nil || len(one) != 1 || one[0].Path != it.Dir+"/a.md" {
		t.Fatalf("LoadItem(a.md) = %+v, %v", one, err)
	}
	valid, bad := newValidator(t).Check(ins)
	if diff := cmp.Diff([]string{it.Dir + "/a.md"}, valid); diff != "" || len(bad) == 0 {
		t.Errorf("Check: valid (-want +got) %s; invalid %v", diff, bad)
	}
	r := &Result{Delivered: []Delivered{{Draft: "d.md", ID: "out_x"}}, Skipped: []Skipped{{Draft: "e.md", Reason: "why"}}}
	if diff := cmp.Diff([]string{"would deliver d.md → out_x", "skipped e.md: why"}, r.Lines(true)); diff != "" {
		t.Errorf("Lines (-want +got):\n%s", diff)
	}
}
