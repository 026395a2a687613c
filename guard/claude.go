package guard

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ClaudeMatcher is the PreToolUse matcher of the guard's entry: the tools that write.
const ClaudeMatcher = "Write|Edit|MultiEdit|NotebookEdit|Bash"

// ClaudeSettings is the Claude Code settings file of the project in dir: `.claude/settings.json`
// (shared with the team) or, local, `.claude/settings.local.json` (personal, not committed).
func ClaudeSettings(dir string, local bool) string {
	name := "settings.json"
	if local {
		name = "settings.local.json"
	}
	return filepath.Join(dir, ".claude", name)
}

// HookCommand is the command of the guard's hook entry: `courier guard check` found on PATH when bin
// is empty, else bin (an absolute path) quoted for the shell.
func HookCommand(bin string) string {
	if bin == "" {
		return "courier guard check"
	}
	return shellQuote(bin) + " guard check"
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isGuardHook reports whether a hook command is this guard's: `… guard check` of any courier binary,
// or the lean binary (any path).
func isGuardHook(cmd string) bool {
	cmd = strings.TrimSpace(cmd)
	return strings.Contains(cmd, "courier") && strings.HasSuffix(cmd, " guard check") ||
		filepath.Base(hookBinary(cmd)) == LeanBinary
}

// hookBinary is the program a hook command starts: its first word, unquoted when [shellQuote] quoted it.
func hookBinary(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if strings.HasPrefix(cmd, "'") {
		var b strings.Builder
		for rest := cmd[1:]; ; {
			i := strings.IndexByte(rest, '\'')
			if i < 0 {
				return b.String() + rest
			}
			b.WriteString(rest[:i])
			rest = rest[i+1:]
			if !strings.HasPrefix(rest, `\''`) {
				return b.String()
			}
			b.WriteByte('\'')
			rest = rest[3:]
		}
	}
	first, _, _ := strings.Cut(cmd, " ")
	return first
}

// missingBinary is the program of hook command cmd when it is recorded by absolute path and is not an
// executable file there ("" otherwise: a name is looked up on the agent's PATH, which courier does not
// know).
func missingBinary(cmd string) string {
	if bin := hookBinary(cmd); filepath.IsAbs(bin) && !isExecutable(bin) {
		return bin
	}
	return ""
}

// ClaudeState is what one settings file holds of the guard.
type ClaudeState struct {
	Path      string
	Installed bool   // a PreToolUse entry runs `… guard check`
	Current   bool   // and it is exactly the entry Install would write (matcher and command)
	Matcher   string // of the installed entry
	Command   string // of the installed entry
	Missing   string // the binary Command runs, when it cannot be found (then not Current)
}

// Runs says which guard the installed command runs: the lean binary or `courier guard check`.
func (st ClaudeState) Runs() string {
	if filepath.Base(hookBinary(st.Command)) == LeanBinary {
		return "the lean binary " + LeanBinary
	}
	return "courier guard check"
}

// ClaudeInstall merges the guard's PreToolUse entry (command cmd) into the settings file at path,
// keeping every other key, hook and the order of keys; a stale entry of the guard is updated in place.
// It reports whether the file changed: installing twice changes nothing.
func ClaudeInstall(path, cmd string) (bool, error) {
	root, orig, err := readSettings(path)
	if err != nil {
		return false, err
	}
	hooks, err := child(root, "hooks", '{')
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	pre, err := child(hooks, "PreToolUse", '[')
	if err != nil {
		return false, fmt.Errorf("%s: hooks.%w", path, err)
	}
	found := false
	for _, entry := range pre.items {
		hs := entry.get("hooks")
		if hs == nil || hs.kind != '[' {
			continue
		}
		kept := hs.items[:0]
		for _, h := range hs.items {
			c := h.get("command").text()
			if h.kind != '{' || !isGuardHook(c) {
				kept = append(kept, h)
				continue
			}
			if found {
				continue // a second copy: drop it
			}
			found = true
			entry.set("matcher", str(ClaudeMatcher))
			h.set("type", str("command"))
			h.set("command", str(cmd))
			kept = append(kept, h)
		}
		hs.items = kept
	}
	if !found {
		entry := newObject()
		entry.set("matcher", str(ClaudeMatcher))
		h := newObject()
		h.set("type", str("command"))
		h.set("command", str(cmd))
		entry.set("hooks", &node{kind: '[', items: []*node{h}})
		pre.items = append(pre.items, entry)
	}
	return writeSettings(path, root, orig)
}

// ClaudeUninstall removes the guard's entry from the settings file at path, and the containers that
// its removal left empty; a file left holding nothing is removed. Everything else stays as it was.
func ClaudeUninstall(path string) (bool, error) {
	root, orig, err := readSettings(path)
	if err != nil || orig == nil {
		return false, err
	}
	hooks := root.get("hooks")
	pre := hooks.get("PreToolUse")
	if pre == nil || pre.kind != '[' {
		return false, nil
	}
	removed := false
	entries := pre.items[:0]
	for _, entry := range pre.items {
		hs := entry.get("hooks")
		if hs != nil && hs.kind == '[' {
			kept := hs.items[:0]
			for _, h := range hs.items {
				if c := h.get("command").text(); h.kind == '{' && isGuardHook(c) {
					removed = true
					continue
				}
				kept = append(kept, h)
			}
			hs.items = kept
			if len(kept) == 0 {
				continue
			}
		}
		entries = append(entries, entry)
	}
	if !removed {
		return false, nil
	}
	pre.items = entries
	if len(pre.items) == 0 {
		hooks.del("PreToolUse")
	}
	if len(hooks.keys) == 0 {
		root.del("hooks")
	}
	if len(root.keys) == 0 {
		if err := os.Remove(path); err != nil {
			return false, fmt.Errorf("remove %s: %w", path, err)
		}
		_ = os.Remove(filepath.Dir(path)) // .claude/ too, when nothing else is in it
		return true, nil
	}
	return writeSettings(path, root, orig)
}

// ClaudeStatus reads what the settings file at path holds of the guard; cmd is the command Install
// would write there.
func ClaudeStatus(path, cmd string) (ClaudeState, error) {
	st := ClaudeState{Path: path}
	root, orig, err := readSettings(path)
	if err != nil || orig == nil {
		return st, err
	}
	for _, entry := range root.get("hooks").get("PreToolUse").itemsOf('[') {
		for _, h := range entry.get("hooks").itemsOf('[') {
			if c := h.get("command").text(); h.kind == '{' && isGuardHook(c) && !st.Installed {
				st.Installed, st.Command = true, c
				st.Matcher = entry.get("matcher").text()
				st.Missing = missingBinary(c)
				st.Current = st.Matcher == ClaudeMatcher && c == cmd && st.Missing == ""
			}
		}
	}
	return st, nil
}

func (n *node) itemsOf(kind byte) []*node {
	if n == nil || n.kind != kind {
		return nil
	}
	return n.items
}

// child returns the value of key in obj, creating it (of kind) when absent.
func child(obj *node, key string, kind byte) (*node, error) {
	c := obj.get(key)
	if c == nil {
		c = &node{kind: kind}
		if kind == '{' {
			c = newObject()
		}
		obj.set(key, c)
	}
	if c.kind != kind {
		return nil, fmt.Errorf("%s is not a JSON %s", key, map[byte]string{'{': "object", '[': "array"}[kind])
	}
	return c, nil
}

// readSettings parses a settings file; a missing (or empty) file is an empty object and orig nil.
func readSettings(path string) (root *node, orig []byte, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(bytes.TrimSpace(data)) == 0 {
		return newObject(), nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	root, err = parseJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not valid JSON (%v); fix it first, courier will not overwrite it", path, err)
	}
	if root.kind != '{' {
		return nil, nil, fmt.Errorf("%s: not a JSON object; fix it first, courier will not overwrite it", path)
	}
	return root, data, nil
}

// writeSettings writes root to path (atomically) unless that changes nothing.
func writeSettings(path string, root *node, orig []byte) (bool, error) {
	out := root.encode()
	if orig != nil && bytes.Equal(out, orig) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".courier-settings-*")
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	return true, nil
}
