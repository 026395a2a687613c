package mailbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A crash between creating a temp file and renaming it leaves the temp file behind; RemoveStaleTemps
// deletes it once it is old, and never touches a fresh one (a write in progress).
func TestRemoveStaleTemps(t *testing.T) {
	t.Parallel()
	mb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(mb.TmpDir(), ".write-old")
	fresh := filepath.Join(mb.TmpDir(), ".write-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	if err := os.Chtimes(old, now.Add(-2*time.Hour), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := mb.RemoveStaleTemps(time.Hour, now)
	if err != nil || n != 1 {
		t.Fatalf("RemoveStaleTemps = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old temp file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}
