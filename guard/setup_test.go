package guard

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFor(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".git", "hooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".git", "HEAD"), []byte("ref: refs/heads/feat/FEAT-1-x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	env := Env{Getenv: getenv,
		Open:       func(string) (Repo, error) { return Repo{}, errors.New("not a git repository") },
		ConfigFile: func(root string) string { return filepath.Join(root, ".monoco", "courier.yaml") },
		Settings: func(root, dir string) (Settings, error) {
			return Settings{Mailbox: filepath.Join(root, "mb"), DraftsDir: func(b string) string { return "drafts/" + b }}, nil
		}}
	g, top, note := For(root, env)
	if top != root || note != "" {
		t.Errorf("For = top %q note %q", top, note)
	}
	if d := g.CheckPath(filepath.Join(root, "mb", "x"), root, true); !d.Deny {
		t.Error("the configured mailbox is not protected")
	}
	if !strings.Contains(g.draftAdvice(), "drafts/feat/FEAT-1-x") {
		t.Errorf("draft advice %q does not name the branch's drafts dir", g.draftAdvice())
	}

	outside := t.TempDir()
	env.Settings = func(string, string) (Settings, error) { return Settings{}, errors.New("bad config") }
	g, top, note = For(outside, env)
	if top != outside || !strings.Contains(note, "not a git repository") || !strings.Contains(note, "bad config (protecting the defaults)") {
		t.Errorf("For outside = top %q note %q", top, note)
	}
	if d := g.CheckPath(filepath.Join(outside, ".monoco", "mailbox", "x"), outside, true); !d.Deny {
		t.Error("the default mailbox is not protected")
	}
}

func TestHeadBranchAndEventDir(t *testing.T) {
	dir := t.TempDir()
	if HeadBranch(dir) != "" || HeadBranch("") != "" {
		t.Error("HeadBranch of no HEAD is not empty")
	}
	if err := os.WriteFile(filepath.Join(dir, "HEAD"), []byte("0123abcd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if HeadBranch(dir) != "" {
		t.Error("detached HEAD names a branch")
	}
	for data, want := range map[string]string{`{"cwd":"` + dir + `"}`: dir, `{"cwd":"rel"}`: "/fallback", `{`: "/fallback",
		`{"cwd":"` + dir + `/none"}`: "/fallback"} {
		if got := EventDir([]byte(data), "/fallback"); got != want {
			t.Errorf("EventDir(%s) = %q, want %q", data, got, want)
		}
	}
}

func TestClaudeReportAndLines(t *testing.T) {
	top := t.TempDir()
	lines, err := ClaudeReport(top, top)
	if err != nil || len(lines) != 2 || lines[0] != ".claude/settings.json: not installed" {
		t.Fatalf("ClaudeReport = %q, %v", lines, err)
	}
	path := ClaudeSettings(top, false)
	cmd, _ := ClaudeCommand(false)
	if l, err := ClaudeEdit(top, path, cmd, true); err != nil || !strings.HasPrefix(l, ".claude/settings.json: installed: runs `") {
		t.Fatalf("ClaudeEdit = %q, %v", l, err)
	}
	if lines, _ := ClaudeReport(top, top); !strings.HasPrefix(lines[0], ".claude/settings.json: installed, current") {
		t.Errorf("after install: %q", lines)
	}
	if l, err := ClaudeEdit(top, path, cmd, false); err != nil || l != ".claude/settings.json: guard removed" {
		t.Errorf("ClaudeEdit uninstall = %q, %v", l, err)
	}
	deny := Decision{Deny: true, Reason: "no"}.ClaudeDeny().(map[string]any)["hookSpecificOutput"].(map[string]string)
	if deny["permissionDecision"] != "deny" || deny["permissionDecisionReason"] != "no" {
		t.Errorf("ClaudeDeny = %v", deny)
	}
}
