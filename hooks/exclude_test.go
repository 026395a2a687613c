package hooks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExclude(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	path := filepath.Join(h.CommonDir, "info", "exclude")
	if err := os.WriteFile(path, []byte("*.log\n/.monoco/mailbox/"), 0o644); err != nil { // no final newline
		t.Fatal(err)
	}
	added, err := h.Exclude([]string{"/.monoco/mailbox/", "/.monoco/outbox-local/"})
	if err != nil || !cmp.Equal(added, []string{"/.monoco/outbox-local/"}) {
		t.Fatalf("added %q, %v", added, err)
	}
	want := "*.log\n/.monoco/mailbox/\n# courier: mailbox, local outbox, watcher service log\n/.monoco/outbox-local/\n"
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Errorf("exclude file:\n%s\nwant:\n%s", b, want)
	}
	if added, err := h.Exclude([]string{"/.monoco/outbox-local/"}); err != nil || added != nil {
		t.Errorf("second run added %q, %v; want nothing", added, err)
	}
	if out := r.git("check-ignore", ".monoco/outbox-local/x.md"); out != ".monoco/outbox-local/x.md" {
		t.Errorf("git check-ignore: %q", out)
	}
}
