package drafts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatesAndPrint(t *testing.T) {
	top := t.TempDir()
	it, _ := ItemForBranch("FEAT-0172-x", DefaultPatterns())
	dir := filepath.Join(top, filepath.FromSlash(it.Dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	good := []byte("---\nprovider: email\nto: [a@example.com]\nsubject: hi\n---\nhello\n")
	for name, data := range map[string][]byte{"a.md": good, "b.md": []byte("---\nprovider: nope\n---\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mb := newMailbox(t)
	v := newValidator(t)
	states, err := v.States(top, it, map[string]string{it.Dir + "/a.md": BlobID(good)}, mb)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states[0].State != StateUndelivered || !states[0].Committed || states[1].State != StateInvalid {
		t.Fatalf("States = %+v", states)
	}
	s := &Status{Item: it.ID, Branch: "FEAT-0172-x", Drafts: states, Messages: map[string][]string{"pending": {"out_b", "out_a"}}}
	var b bytes.Buffer
	s.Print(&b, []string{"pending", "sent"})
	out := b.String()
	for _, want := range []string{"item FEAT-0172 (branch FEAT-0172-x)\n", "drafts: 1 undelivered, 1 invalid, 0 delivered\n",
		"messages: 2 pending, 0 sent\n  pending     out_a\n  pending     out_b\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("Print:\n%s\nmissing %q", out, want)
		}
	}
}
