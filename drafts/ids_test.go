package drafts

import (
	"path/filepath"
	"regexp"
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
