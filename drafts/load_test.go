package drafts

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadAll(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	good := filepath.Join(repo, "Issues/Features/work/FEAT-1/drafts/a.md")
	writeFile(t, good, "---\nprovider: file\nto: x\n---\nhi\n")
	link := filepath.Join(repo, "Issues/Features/work/FEAT-1/drafts/l.md")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	inputs, invalid, err := LoadAll(repo, repo, []string{good, link})
	if err != nil || len(inputs) != 1 || inputs[0].Path != "Issues/Features/work/FEAT-1/drafts/a.md" || len(invalid) != 1 {
		t.Fatalf("inputs %v, invalid %v, err %v; want the file loaded and the link a validation error", inputs, invalid, err)
	}
	if _, _, err := LoadAll(repo, repo, []string{filepath.Join(repo, "missing.md")}); err == nil {
		t.Error("a missing file: no error")
	}
}
