package mailbox

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

func openPrivate(t *testing.T, root, private string) *Mailbox {
	t.Helper()
	mb, err := OpenWith(root, OpenOptions{PrivateDir: private})
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

// TestPrivateStateMovedOnce: a key and a ledger under <mailbox>/.state/ move to the private
// directory while it has none (messages sealed before stay valid, the ledger keeps its entries);
// afterwards a key or ledger planted under .state/ (git overwrites ignored files on checkout) is
// ignored (docs/protocol.md, "Layout").
func TestPrivateStateMovedOnce(t *testing.T) {
	t.Parallel()
	old := newMailbox(t) // a mailbox from before the move: private state in .state/
	e := mustEnqueue(t, old, sampleMessage("out_slack_00000000000a"))
	entry := &LedgerEntry{Draft: "d.md", Blob: "b1", IDs: []string{"out_slack_00000000000a"}, Done: true}
	if err := old.RecordLedger(entry); err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(old.SealKeyPath())

	private := filepath.Join(t.TempDir(), "git", "courier")
	mb := openPrivate(t, old.Root, private)
	if mb.SealKeyPath() != filepath.Join(private, "seal.key") {
		t.Fatalf("SealKeyPath = %s", mb.SealKeyPath())
	}
	s, err := mb.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Verify(mustRead(t, e.Path)); got != Sealed {
		t.Errorf("a message sealed before the move: %v", got)
	}
	if moved, _ := os.ReadFile(filepath.Join(private, "seal.key")); !bytes.Equal(moved, key) {
		t.Errorf("moved key %q, want %q", moved, key)
	}
	assertMode(t, filepath.Join(private, "seal.key"), 0o600)
	assertGone(t, filepath.Join(old.Root, ".state", "seal.key"))
	assertGone(t, filepath.Join(old.Root, ".state", "ledger"))
	if got, err := mb.Ledger("d.md", "b1"); err != nil || got == nil || !got.Done {
		t.Errorf("moved ledger entry = %+v, %v", got, err)
	}

	// A branch plants a key, a ledger entry and a message sealed with that key.
	attacker := newMailbox(t)
	forged := sampleMessage("out_slack_0000000000ff")
	mustEnqueue(t, attacker, forged)
	if err := attacker.RecordLedger(&LedgerEntry{Draft: "next.md", Blob: "b2", Done: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(attacker.Root, ".state", "seal.key"), filepath.Join(old.Root, ".state", "seal.key")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(attacker.Root, ".state", "ledger"), filepath.Join(old.Root, ".state", "ledger")); err != nil {
		t.Fatal(err)
	}
	again := openPrivate(t, old.Root, private)
	s2, err := again.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Verify(forged); got != Tampered {
		t.Errorf("a message sealed with a planted key: %v, want tampered", got)
	}
	if got := s2.Verify(mustRead(t, e.Path)); got != Sealed {
		t.Errorf("own message after the plant: %v", got)
	}
	if got, err := again.Ledger("next.md", "b2"); err != nil || got != nil {
		t.Errorf("a planted ledger entry was read: %+v, %v", got, err)
	}
}

// TestPrivateStateCreatedOnFirstUse: a mailbox that only reads (New) creates nothing in the mailbox,
// but its private state appears on first use, 0700.
func TestPrivateStateCreatedOnFirstUse(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "mailbox")
	private := filepath.Join(t.TempDir(), "courier")
	mb, err := New(root, OpenOptions{PrivateDir: private})
	if err != nil {
		t.Fatal(err)
	}
	if e, err := mb.Ledger("d.md", "b"); err != nil || e != nil {
		t.Fatalf("Ledger = %+v, %v", e, err)
	}
	if _, err := mb.IDKey(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, root)
	assertMode(t, private, 0o700)
	assertMode(t, filepath.Join(private, "ledger"), 0o700)
	assertMode(t, filepath.Join(private, "id.key"), 0o600)
}

// TestIDKeyPerRepository: the id key is created once and read back by every later mailbox on the
// same private directory; another private directory (another repository) gets another key.
func TestIDKeyPerRepository(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "mailbox")
	private := filepath.Join(t.TempDir(), "courier")
	k1, err := openPrivate(t, root, private).IDKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := openPrivate(t, root, private).IDKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 || !bytes.Equal(k1, k2) {
		t.Fatalf("id key %x then %x, want the same 32 bytes", k1, k2)
	}
	text, _ := os.ReadFile(filepath.Join(private, "id.key"))
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(text) {
		t.Errorf("id.key = %q", text)
	}
	other, err := openPrivate(t, root, filepath.Join(t.TempDir(), "courier")).IDKey()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, k1) {
		t.Error("two private directories share an id key")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(private, ".new-*")); len(leftovers) > 0 {
		t.Errorf("temp files left: %v", leftovers)
	}
}

// TestPrivateStateMoveConcurrent: processes that open the mailbox at once during the upgrade agree on
// the moved key (none creates a key of its own).
func TestPrivateStateMoveConcurrent(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		old := newMailbox(t)
		e := mustEnqueue(t, old, sampleMessage("out_slack_00000000000b"))
		private := filepath.Join(t.TempDir(), "courier")
		var wg sync.WaitGroup
		states := make([]SealState, 8)
		errs := make([]error, 8)
		for i := range states {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mb, err := OpenWith(old.Root, OpenOptions{PrivateDir: private})
				if err == nil {
					var s *Sealer
					if s, err = mb.Sealer(); err == nil {
						states[i] = s.Verify(mustRead(t, e.Path))
					}
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i := range states {
			if errs[i] != nil || states[i] != Sealed {
				t.Fatalf("round %d, opener %d: %v, %v", round, i, states[i], errs[i])
			}
		}
	}
}
