// Package gitdir asks git where a repository keeps its files: the worktree, the git dir, the common
// dir, the main worktree and the hooks directory (`git rev-parse`, so every configuration layer is
// honoured). It uses the standard library only: hooks builds its Repo on it, and courier-guard, which
// links no git library, uses it when reading git's files is not enough.
package gitdir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNotRepo is returned by [Ask] for a directory that is not inside a git repository.
var ErrNotRepo = errors.New("not a git repository")

// Layout says where git will look. All paths are absolute.
type Layout struct {
	Top          string // top of the current worktree (for a bare repository: the git dir itself)
	GitDir       string // this worktree's git dir
	CommonDir    string // common git dir (== GitDir except in linked worktrees)
	MainWorktree string // root of the main worktree (mailbox and config live there); Top when there is none
	HooksDir     string // where git runs hooks from: core.hooksPath (resolved like git) else CommonDir/hooks
}

// Ask finds the repository containing dir (a worktree, a linked worktree, a submodule or a git dir).
// Outside a repository the error wraps [ErrNotRepo].
func Ask(dir string) (Layout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Layout{}, fmt.Errorf("open repository %s: %w", dir, err)
	}
	base := []string{"rev-parse", "--path-format=absolute", "--absolute-git-dir", "--git-common-dir", "--git-path", "hooks"}
	lines, err := gitLines(abs, append(base, "--show-toplevel")...)
	noTop := false // no worktree here: a bare repository, or inside a git dir
	if err != nil {
		// --show-toplevel fails in a bare repository or inside the git dir; try without it.
		if lines, err = gitLines(abs, base...); err != nil {
			return Layout{}, fmt.Errorf("open repository %s: %w", dir, err)
		}
		noTop = true
	}
	if len(lines) < 3 || (!noTop && len(lines) < 4) {
		return Layout{}, fmt.Errorf("open repository %s: unexpected git rev-parse output %q", dir, lines)
	}
	l := Layout{GitDir: filepath.Clean(lines[0]), CommonDir: filepath.Clean(lines[1]), HooksDir: filepath.Clean(lines[2])}
	switch {
	case noTop && filepath.Base(l.GitDir) == ".git":
		l.Top = filepath.Dir(l.GitDir) // started inside the .git dir of a worktree
	case noTop:
		l.Top = l.GitDir
	default:
		l.Top = filepath.Clean(lines[3])
	}
	l.MainWorktree = l.Top
	switch {
	case l.GitDir == l.CommonDir:
	case filepath.Base(l.CommonDir) == ".git" && isDir(l.CommonDir):
		// The usual layout: the common dir is the main worktree's .git (no git subprocess on the
		// hook path of a linked worktree).
		l.MainWorktree = filepath.Dir(l.CommonDir)
	default:
		out, err := gitOutput(l.Top, "worktree", "list", "--porcelain", "-z")
		if err != nil {
			return Layout{}, fmt.Errorf("open repository %s: %w", dir, err)
		}
		if main := mainWorktree(out); main != "" {
			l.MainWorktree = main
		}
	}
	return l, nil
}

// mainWorktree is the first worktree of `git worktree list --porcelain -z` ("" when it is bare).
func mainWorktree(out []byte) string {
	var main string
	for _, field := range strings.Split(string(out), "\x00") {
		if field == "" {
			break // end of the first record
		}
		if p, ok := strings.CutPrefix(field, "worktree "); ok {
			main = p
		}
		if field == "bare" {
			return ""
		}
	}
	if main == "" {
		return ""
	}
	return filepath.Clean(main)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// gitOutput runs git in dir and returns its stdout; an error carries git's own message, and wraps
// [ErrNotRepo] when git says so.
func gitOutput(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		if strings.Contains(msg, "not a git repository") {
			return nil, ErrNotRepo
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}

func gitLines(dir string, args ...string) ([]string, error) {
	out, err := gitOutput(dir, args...)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n"), nil
}
