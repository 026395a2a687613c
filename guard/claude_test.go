package guard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// existing is a project settings file with hooks and settings of its own, in MarshalIndent form.
const existing = `{
  "permissions": {
    "allow": [
      "Bash(go test:*)"
    ],
    "deny": []
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "./scripts/lint-bash.sh",
            "timeout": 30
          }
        ]
      }
    ],
    "PostToolUse": [
      {
        "matcher": "Write",
        "hooks": [
          {
            "type": "command",
            "command": "gofmt -w \"$CLAUDE_FILE\" <&-"
          }
        ]
      }
    ]
  },
  "model": "opus",
  "env": {
    "BIG": 12345678901234567890
  }
}
`

func TestClaudeInstallRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		before string // "" = no file
	}{
		{"no settings file", ""},
		{"existing hooks and settings", existing},
		{"empty object", "{}\n"},
		{"other PreToolUse hooks only", `{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Write|Edit",
        "hooks": [
          {
            "type": "command",
            "command": "check-style"
          }
        ]
      }
    ]
  }
}
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := ClaudeSettings(t.TempDir(), false)
			if c.before != "" {
				must(t, os.MkdirAll(filepath.Dir(path), 0o755))
				must(t, os.WriteFile(path, []byte(c.before), 0o644))
			}
			cmd := HookCommand("")
			changed, err := ClaudeInstall(path, cmd)
			if err != nil || !changed {
				t.Fatalf("install: changed %v, err %v", changed, err)
			}
			after, _ := os.ReadFile(path)
			if strings.Count(string(after), "guard check") != 1 || !strings.Contains(string(after), `"matcher": "`+ClaudeMatcher+`"`) {
				t.Fatalf("installed:\n%s", after)
			}
			if c.before != "" && strings.Contains(c.before, "permissions") {
				// Every other key keeps its place and value; the guard's entry comes after the others.
				for _, k := range []string{`"permissions"`, `lint-bash.sh"`, `"PostToolUse"`, `"model"`, `12345678901234567890`} {
					if !strings.Contains(string(after), k) {
						t.Errorf("lost %s:\n%s", k, after)
					}
				}
				if strings.Index(string(after), "lint-bash") > strings.Index(string(after), "guard check") ||
					strings.Index(string(after), "guard check") > strings.Index(string(after), "PostToolUse") ||
					strings.Index(string(after), `"permissions"`) > strings.Index(string(after), `"hooks"`) {
					t.Errorf("order changed:\n%s", after)
				}
			}
			st, err := ClaudeStatus(path, cmd)
			if err != nil || !st.Installed || !st.Current {
				t.Fatalf("status %+v, %v", st, err)
			}
			if changed, err := ClaudeInstall(path, cmd); err != nil || changed {
				t.Fatalf("second install: changed %v, err %v", changed, err)
			}
			again, _ := os.ReadFile(path)
			if diff := cmp.Diff(string(after), string(again)); diff != "" {
				t.Fatalf("second install changed the file:\n%s", diff)
			}
			if changed, err := ClaudeUninstall(path); err != nil || !changed {
				t.Fatalf("uninstall: changed %v, err %v", changed, err)
			}
			got, err := os.ReadFile(path)
			if c.before == "" || c.before == "{}\n" {
				if !os.IsNotExist(err) {
					t.Fatalf("uninstall left %q", got)
				}
				if _, err := os.Stat(filepath.Dir(path)); c.before == "" && !os.IsNotExist(err) {
					t.Fatalf("uninstall left the .claude directory it created")
				}
				return
			}
			if diff := cmp.Diff(c.before, string(got)); diff != "" {
				t.Fatalf("uninstall did not restore the file (-before +after):\n%s", diff)
			}
			if changed, err := ClaudeUninstall(path); err != nil || changed {
				t.Fatalf("second uninstall: changed %v, err %v", changed, err)
			}
		})
	}
}

func TestClaudeInstallUpdatesStaleEntryInPlace(t *testing.T) {
	t.Parallel()
	path := ClaudeSettings(t.TempDir(), true)
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	stale := `{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Write|Edit",
        "hooks": [
          {
            "type": "command",
            "command": "/old/bin/courier guard check"
          },
          {
            "type": "command",
            "command": "other"
          }
        ]
      }
    ]
  }
}
`
	must(t, os.WriteFile(path, []byte(stale), 0o600))
	cmd := HookCommand("/opt/my tools/courier")
	st, _ := ClaudeStatus(path, cmd)
	if !st.Installed || st.Current {
		t.Fatalf("stale entry: %+v", st)
	}
	if _, err := ClaudeInstall(path, cmd); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := strings.NewReplacer(`"Write|Edit"`, `"`+ClaudeMatcher+`"`, `/old/bin/courier guard check`, `'/opt/my tools/courier' guard check`).Replace(stale)
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the file's own 0600", fi.Mode().Perm())
	}
	if _, err := ClaudeUninstall(path); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if strings.Contains(string(got), "guard check") || !strings.Contains(string(got), `"other"`) {
		t.Fatalf("uninstall removed more or less than its own hook:\n%s", got)
	}
}

func TestClaudeInstallRefusesBrokenSettings(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"{", `{"hooks": []}`, `[1]`, `{"a": 1} {}`} {
		path := ClaudeSettings(t.TempDir(), false)
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(bad), 0o644))
		if _, err := ClaudeInstall(path, HookCommand("")); err == nil {
			t.Errorf("%q: installed into broken settings", bad)
		}
		if got, _ := os.ReadFile(path); string(got) != bad {
			t.Errorf("%q: file changed to %q", bad, got)
		}
	}
}

// TestClaudeLeanCommand: the lean binary's entry (by name or absolute path) is the guard's own for
// install, status and uninstall, and replaces a `courier guard check` entry in place.
func TestClaudeLeanCommand(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "my tools", LeanBinary)
	must(t, os.MkdirAll(filepath.Dir(bin), 0o755))
	must(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))
	for _, cmd := range []string{LeanBinary, shellQuote(bin)} {
		path := ClaudeSettings(t.TempDir(), true)
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(existing), 0o644))
		if _, err := ClaudeInstall(path, HookCommand("/old/courier")); err != nil {
			t.Fatal(err)
		}
		if changed, err := ClaudeInstall(path, cmd); err != nil || !changed {
			t.Fatalf("%s: install over the old entry: %v %v", cmd, changed, err)
		}
		got, _ := os.ReadFile(path)
		if strings.Contains(string(got), "guard check") || strings.Count(string(got), LeanBinary) != 1 {
			t.Fatalf("%s: not replaced in place:\n%s", cmd, got)
		}
		st, err := ClaudeStatus(path, cmd)
		if err != nil || !st.Installed || !st.Current || st.Runs() != "the lean binary courier-guard" {
			t.Fatalf("%s: status %+v %v (%s)", cmd, st, err, st.Runs())
		}
		if changed, _ := ClaudeInstall(path, cmd); changed {
			t.Errorf("%s: second install changed the file", cmd)
		}
		if changed, err := ClaudeUninstall(path); err != nil || !changed {
			t.Fatalf("%s: uninstall %v %v", cmd, changed, err)
		}
		got, _ = os.ReadFile(path)
		if diff := cmp.Diff(existing, string(got)); diff != "" {
			t.Errorf("%s: uninstall did not restore the file:\n%s", cmd, diff)
		}
	}

	// A recorded binary that is gone makes the entry stale.
	path := ClaudeSettings(t.TempDir(), true)
	gone := shellQuote(filepath.Join(t.TempDir(), LeanBinary))
	if _, err := ClaudeInstall(path, gone); err != nil {
		t.Fatal(err)
	}
	if st, _ := ClaudeStatus(path, gone); !st.Installed || st.Current || st.Missing == "" {
		t.Errorf("missing binary: %+v", st)
	}
}

func TestHookBinary(t *testing.T) {
	t.Parallel()
	for cmd, want := range map[string]string{
		"courier guard check":                            "courier",
		"courier-guard":                                  "courier-guard",
		"/usr/local/bin/courier-guard --json":            "/usr/local/bin/courier-guard",
		shellQuote("/opt/my tools/courier-guard"):        "/opt/my tools/courier-guard",
		shellQuote("/opt/it's/courier") + " guard check": "/opt/it's/courier",
	} {
		if got := hookBinary(cmd); got != want {
			t.Errorf("hookBinary(%q) = %q, want %q", cmd, got, want)
		}
	}
	for cmd, want := range map[string]bool{"courier-guard": true, "'/a b/courier-guard'": true, "/x/courier guard check": true,
		"courier-guardian": false, "./scripts/check.sh": false, "guard check": false} {
		if isGuardHook(cmd) != want {
			t.Errorf("isGuardHook(%q) = %v", cmd, !want)
		}
	}
}
