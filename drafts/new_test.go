package drafts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	it, _ := ItemForBranch("FEAT-0042-x", DefaultPatterns())
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	rel, prov, err := New(repo, it, NewDraft{Template: "notify", Now: now})
	if err != nil || rel != "Issues/Features/work/FEAT-0042/drafts/notify-20260102T020405.md" || prov != "file" {
		t.Fatalf("unnamed: %q %q %v", rel, prov, err)
	}
	if text := read(rel); !strings.Contains(text, "provider: file\n") || !strings.Contains(text, "to: <TO>\n") ||
		!strings.Contains(text, "\n<BODY>\n") {
		t.Errorf("defaults and placeholders not filled in:\n%s", text)
	}
	rel, prov, err = New(repo, it, NewDraft{Template: "email", Name: "mail.md"})
	if err != nil || !strings.HasSuffix(rel, "/mail.md") || prov != "email" || !strings.Contains(read(rel), "to: <TO>\n") {
		t.Fatalf("email: %q %q %v", rel, prov, err)
	}
	rel, _, err = New(repo, it, NewDraft{Template: "reply", Name: "answer", To: "team: core"})
	if err != nil || !strings.Contains(read(rel), `to: "team: core"`) {
		t.Fatalf("quoted to: %v\n%s", err, read(rel))
	}
	if _, _, err := New(repo, it, NewDraft{Template: "reply", Name: "answer"}); err == nil || !strings.Contains(err.Error(), "answer.md already exists") {
		t.Errorf("overwrite: %v", err)
	}
	for _, bad := range []string{"../escape", ".hidden", "_x", `a\b`} {
		if _, _, err := New(repo, it, NewDraft{Template: "notify", Name: bad}); !errors.Is(err, ErrDraftName) {
			t.Errorf("name %q: %v, want ErrDraftName", bad, err)
		}
	}
	if _, _, err := New(repo, it, NewDraft{Template: "nope", Name: "x"}); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("unknown template: %v", err)
	}
	if got := strings.Join(Templates(), ","); got != "card,email,notify,reply" {
		t.Errorf("Templates() = %s", got)
	}
}
