package drafts

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
)

// TestIDsPerRepository: the same draft path and content get different ids in two repositories (each
// has its own id key) and the same id in every run of one, however its mailbox is reopened
// (docs/protocol.md, "Ids").
func TestIDsPerRepository(t *testing.T) {
	open := func(root, private string) *mailbox.Mailbox {
		mb, err := mailbox.OpenWith(root, mailbox.OpenOptions{PrivateDir: private})
		if err != nil {
			t.Fatal(err)
		}
		return mb
	}
	ids := func(mb *mailbox.Mailbox) []string {
		res := deliver(t, newDeliverer(t, mb), Options{DryRun: true}, input("fan.md", "---\nprovider: dingtalk\nto: [ops, dev]\n---\nhi\n"))
		var out []string
		for _, d := range res.Delivered {
			out = append(out, d.ID)
		}
		return out
	}
	repoA, repoB := t.TempDir(), t.TempDir()
	a1 := ids(open(filepath.Join(repoA, "mailbox"), filepath.Join(repoA, ".git", "courier")))
	a2 := ids(open(filepath.Join(repoA, "mailbox"), filepath.Join(repoA, ".git", "courier")))
	b := ids(open(filepath.Join(repoB, "mailbox"), filepath.Join(repoB, ".git", "courier")))
	if len(a1) != 2 || len(b) != 2 {
		t.Fatalf("ids %v %v, want two each (fan-out)", a1, b)
	}
	idRe := regexp.MustCompile(`^out_dingtalk_[0-9a-f]{12}$`)
	for i := range a1 {
		if !idRe.MatchString(a1[i]) || a1[i] != a2[i] {
			t.Errorf("repository A: ids %v then %v, want the same out_dingtalk_{12 hex}", a1, a2)
		}
		if a1[i] == b[i] || a1[0] == a1[1] {
			t.Errorf("ids %v in A and %v in B: want all different", a1, b)
		}
	}
}

// TestArchivedSkippedWithoutLedger: after the ledger is lost, a draft version whose ids are in
// archive/ is not enqueued again; a fanned-out copy that was not sent still is (docs/protocol.md,
// "Ledger").
func TestArchivedSkippedWithoutLedger(t *testing.T) {
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	fan := input("fan.md", "---\nprovider: dingtalk\nto: [ops, dev]\n---\nhi\n")
	first := deliver(t, d, Options{}, input("reply.md", hello), fan)
	if len(first.Delivered) != 3 {
		t.Fatalf("first run: %+v", first)
	}
	archiveAll(t, mb)
	// Of the fan-out, the copy to dev was never sent: take it out of archive/.
	for _, e := range mustList(t, mb, mailbox.Archive) {
		if strings.Contains(e.Name, first.Delivered[1].ID) {
			if err := os.Remove(e.Path); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.RemoveAll(filepath.Join(mb.PrivateDir(), "ledger")); err != nil {
		t.Fatal(err)
	}
	again := deliver(t, newDeliverer(t, mb), Options{}, input("reply.md", hello), fan)
	if len(again.Delivered) != 1 || again.Delivered[0].ID != first.Delivered[1].ID {
		t.Errorf("delivered %+v, want only %s (not archived)", again.Delivered, first.Delivered[1].ID)
	}
	want := []Skipped{
		{Draft: draftDir + "fan.md", Reason: "already sent as " + first.Delivered[0].ID},
		{Draft: draftDir + "reply.md", Reason: "already sent as " + first.Delivered[2].ID},
	}
	if fmt.Sprint(again.Skipped) != fmt.Sprint(want) {
		t.Errorf("skipped %+v, want %+v", again.Skipped, want)
	}
	// The entries are recorded again: a third run skips from the ledger.
	third := deliver(t, newDeliverer(t, mb), Options{}, input("reply.md", hello), fan)
	if len(third.Delivered) != 0 || len(third.Skipped) != 2 || !strings.HasPrefix(third.Skipped[0].Reason, "already delivered as ") {
		t.Errorf("third run: %+v", third)
	}
}

func mustList(t *testing.T, mb *mailbox.Mailbox, s mailbox.State) []mailbox.Entry {
	t.Helper()
	es, err := mb.List(s)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
