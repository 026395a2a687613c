package mailbox

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestArchived: Archived answers from archive/ file names, sees messages archived after its first
// call, and does not re-list an unchanged directory.
func TestArchived(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	m := sampleMessage("out_slack_0000000000a1")
	if ok, err := mb.Archived(m.ID); ok || err != nil {
		t.Fatalf("empty archive: %v, %v", ok, err)
	}
	e := mustEnqueue(t, mb, m)
	c, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	claimed, err := c.Claim(e)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := mb.Archived(m.ID); ok {
		t.Fatal("claimed counts as archived")
	}
	if _, err := c.Archive(claimed, mustRead(t, claimed), time.Now(), "pm"); err != nil {
		t.Fatal(err)
	}
	if ok, err := mb.Archived(m.ID); !ok || err != nil {
		t.Fatalf("after Archive: %v, %v", ok, err)
	}
	if ok, _ := mb.Archived("out_slack_0000000000ff"); ok {
		t.Fatal("an unknown id is archived")
	}
	// An unchanged directory is answered from the cache: a name planted without touching the
	// directory's mtime is not seen, which proves no re-listing happened.
	dir := mb.Dir(Archive, "slack")
	fi, _ := os.Stat(dir)
	if err := os.WriteFile(filepath.Join(dir, "20260101T000000_out_slack_0000000000b2.md"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if fi.ModTime().Nanosecond() != 0 {
		if ok, _ := mb.Archived("out_slack_0000000000b2"); ok {
			t.Error("an unchanged archive directory was listed again")
		}
	}
}

// TestSealerFollowsKeyChange: a replaced key file is loaded on the next call; an unchanged one is
// not re-read.
func TestSealerFollowsKeyChange(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	s1, err := mb.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := mb.Sealer(); again != s1 {
		t.Fatal("an unchanged key was loaded again")
	}
	if err := os.Remove(mb.SealKeyPath()); err != nil {
		t.Fatal(err)
	}
	other, err := Open(mb.Root)
	if err != nil {
		t.Fatal(err)
	}
	m := sampleMessage("out_slack_0000000000c3")
	mustEnqueue(t, other, m) // sealed with a new key
	s2, err := mb.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if s2 == s1 || s2.Verify(m) != Sealed || s1.Verify(m) != Tampered {
		t.Fatalf("after the key changed: new sealer %v, verify new %s old %s", s2 != s1, s2.Verify(m), s1.Verify(m))
	}
}

// TestReadRefusesWithoutReading: a sparse 300 MB file is refused from its size (nothing is
// allocated for it), a FIFO without blocking, a directory as not regular.
func TestReadRefusesWithoutReading(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.md")
	if err := os.WriteFile(big, []byte("---\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 300<<20); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(big)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("big: %v, want ErrFileTooLarge", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("big: allocated %d bytes", alloc)
	}
	fifo := filepath.Join(dir, "fifo.md")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(fifo); !errors.Is(err, ErrNotRegular) {
		t.Errorf("fifo: %v, want ErrNotRegular", err)
	}
	if _, err := Read(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("dir: %v, want ErrNotRegular", err)
	}
	link := filepath.Join(dir, "link.md")
	if err := os.Symlink(big, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(link); !errors.Is(err, ErrNotRegular) {
		t.Errorf("link: %v, want ErrNotRegular", err)
	}
}

// TestListAllIncludesIrregular: List keeps to regular files; ListAll names every *.md entry.
func TestListAllIncludesIrregular(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	dir, err := mb.EnsureDir(Outbound, "slack")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "20260101T000000_out_slack_fifo.md"), 0o600); err != nil {
		t.Fatal(err)
	}
	if es, _ := mb.List(Outbound); len(es) != 0 {
		t.Errorf("List = %v", es)
	}
	if es, _ := mb.ListAll(Outbound); len(es) != 1 {
		t.Errorf("ListAll = %v", es)
	}
}
