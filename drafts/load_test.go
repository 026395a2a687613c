package drafts

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
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
	inputs, invalid, err := LoadAll(repo, repo, []string{good, link}, nil)
	if err != nil || len(inputs) != 1 || inputs[0].Path != "Issues/Features/work/FEAT-1/drafts/a.md" || len(invalid) != 1 {
		t.Fatalf("inputs %v, invalid %v, err %v; want the file loaded and the link a validation error", inputs, invalid, err)
	}
	if _, _, err := LoadAll(repo, repo, []string{filepath.Join(repo, "missing.md")}, nil); err == nil {
		t.Error("a missing file: no error")
	}
}

// TestLoadAllRejectsFromSize: a sparse 1 GB draft is rejected from its size, with one line naming
// the file and its size, and nothing like its size is read or allocated.
func TestLoadAllRejectsFromSize(t *testing.T) {
	repo := t.TempDir()
	big := filepath.Join(repo, draftDir, "big.md")
	writeFile(t, big, "---\nprovider: email\nto: a@example.com\n---\n")
	if err := os.Truncate(big, 1<<30); err != nil {
		t.Fatal(err)
	}
	hashed := false
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	inputs, invalid, err := LoadAll(repo, repo, []string{big}, func([]string, [][]byte) ([]string, error) {
		hashed = true
		return nil, nil
	})
	runtime.ReadMemStats(&after)
	if err != nil || len(inputs) != 0 || len(invalid) != 1 || hashed {
		t.Fatalf("LoadAll = %v, %v, %v (hashed %v), want one invalid draft", inputs, invalid, err, hashed)
	}
	want := draftDir + "big.md: body: draft is 1073741824 bytes, larger than"
	if msg := invalid[0].Error(); !strings.HasPrefix(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("error %q, want one line starting %q", msg, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<10 {
		t.Errorf("allocated %d bytes for a draft rejected from its size", alloc)
	}
}
