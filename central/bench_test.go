package central

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
)

// benchWorld is a branch central has seen at its base, then a push of one commit adding n drafts.
func benchWorld(b *testing.B, n int) (*world, string) {
	w := newWorld(b)
	a := w.agent("alice", "feat/FEAT-0001")
	base := commit(b, a, map[string]string{"notes.txt": "base\n"}, "base")
	files := map[string]string{}
	for i := 0; i < n; i++ {
		files[draftPath("FEAT-0001", fmt.Sprintf("d%04d.md", i))] = draft(fmt.Sprintf("message %04d", i))
	}
	commit(b, a, files, "1000 drafts")
	push(b, a, "-u", "feat/FEAT-0001")
	return w, base
}

// BenchmarkRemoteFetch1000: one fetch after a push that adds 1,000 drafts in one commit, delivered
// (validated, stamped, sealed, ledger, enqueued) by the walk of the new commit. Each iteration
// starts from a fresh mailbox and state with the branch last seen at its base.
func BenchmarkRemoteFetch1000(b *testing.B) {
	const n = 1000
	w, base := benchWorld(b, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var err error
		if w.mb, err = mailbox.Open(filepath.Join(b.TempDir(), "mailbox")); err != nil {
			b.Fatal(err)
		}
		w.c = w.central()
		if err := w.c.state.saveTips(map[string]string{"feat/FEAT-0001": base}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := w.c.Fetch(context.Background())
		if err != nil || res.Delivered != n {
			b.Fatalf("fetch = %+v, %v; want %d delivered", res, err, n)
		}
	}
}

// BenchmarkDeliver1000 is the baseline on the same machine: drafts.Deliver of the same 1,000 drafts
// already in memory (what `courier deliver` does after reading them).
func BenchmarkDeliver1000(b *testing.B) {
	const n = 1000
	var inputs []drafts.Input
	for i := 0; i < n; i++ {
		inputs = append(inputs, drafts.Input{Path: draftPath("FEAT-0001", fmt.Sprintf("d%04d.md", i)),
			Content: []byte(draft(fmt.Sprintf("message %04d", i)))})
	}
	v, err := drafts.NewValidator(drafts.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		mb, err := mailbox.Open(filepath.Join(b.TempDir(), "mailbox"))
		if err != nil {
			b.Fatal(err)
		}
		d := &drafts.Deliverer{Mailbox: mb, Validator: v}
		b.StartTimer()
		res, err := d.Deliver(context.Background(), inputs, drafts.Options{})
		if err != nil || len(res.Delivered) != n {
			b.Fatalf("deliver: %v, %d delivered", err, len(res.Delivered))
		}
	}
}
