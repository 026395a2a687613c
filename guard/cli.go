package guard

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LeanBinary is the name of the lean guard binary, `courier guard check` without the rest of courier
// (cmd/courier-guard), installed next to courier.
const LeanBinary = "courier-guard"

// ClaudeCommand is the hook command for Claude Code's settings. When a [LeanBinary] sits next to this
// courier binary, the hook runs it (it starts in a fraction of courier's time); else it runs `courier
// guard check`. The shared settings name the binary to find on PATH (a path on one machine means
// nothing on another); the local settings record its absolute path.
func ClaudeCommand(local bool) (string, error) {
	exe, err := os.Executable()
	if err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
	}
	lean := filepath.Join(filepath.Dir(exe), LeanBinary)
	hasLean := err == nil && isExecutable(lean)
	switch {
	case !local && hasLean:
		return LeanBinary, nil
	case !local:
		return HookCommand(""), nil
	case err != nil:
		return "", fmt.Errorf("find the courier binary: %w", err)
	case hasLean:
		return shellQuote(lean), nil
	}
	return HookCommand(exe), nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// ClaudeReport says, one line for the shared and one for the local settings of the worktree at top,
// whether the guard is installed there and current; paths are relative to dir.
func ClaudeReport(top, dir string) ([]string, error) {
	var lines []string
	for _, local := range []bool{false, true} {
		cmd, err := ClaudeCommand(local)
		if err != nil {
			return nil, err
		}
		path := ClaudeSettings(top, local)
		st, err := ClaudeStatus(path, cmd)
		if err != nil {
			return nil, err
		}
		rel := relTo(dir, path)
		what := fmt.Sprintf("`%s` before %s; %s", st.Command, st.Matcher, st.Runs())
		switch {
		case !st.Installed:
			lines = append(lines, rel+": not installed")
		case st.Current:
			lines = append(lines, fmt.Sprintf("%s: installed, current (%s)", rel, what))
		default:
			if st.Missing != "" {
				what += ", which is missing"
			}
			lines = append(lines, fmt.Sprintf("%s: installed, not current (%s; courier guard install%s updates it)",
				rel, what, map[bool]string{true: " --local"}[local]))
		}
	}
	return lines, nil
}

// ClaudeEdit installs the guard's hook cmd into the settings file at path (or, unless install,
// removes it) and says what it did, with path relative to dir.
func ClaudeEdit(dir, path, cmd string, install bool) (string, error) {
	if !install {
		changed, err := ClaudeUninstall(path)
		return relTo(dir, path) + ": " + map[bool]string{true: "guard removed", false: "no guard installed"}[changed], err
	}
	changed, err := ClaudeInstall(path, cmd)
	return fmt.Sprintf("%s: %s runs `%s` before %s", relTo(dir, path),
		map[bool]string{true: "installed:", false: "already installed:"}[changed], cmd, strings.ReplaceAll(ClaudeMatcher, "|", ", ")), err
}

// EventDir is the directory a tool-call event was sent from: its cwd when that is an existing
// absolute directory, else dir.
func EventDir(data []byte, dir string) string {
	var ev struct {
		Cwd string `json:"cwd"`
	}
	if json.Unmarshal(data, &ev) == nil && filepath.IsAbs(ev.Cwd) {
		if fi, err := os.Stat(ev.Cwd); err == nil && fi.IsDir() {
			return ev.Cwd
		}
	}
	return dir
}

// ClaudeDeny is Claude Code's PreToolUse answer (hookSpecificOutput) that denies the call with d's
// reason.
func (d Decision) ClaudeDeny() any {
	return map[string]any{"hookSpecificOutput": map[string]string{"hookEventName": "PreToolUse",
		"permissionDecision": "deny", "permissionDecisionReason": d.Reason}}
}

func relTo(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}
