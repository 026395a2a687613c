// Package hooks installs, uninstalls and reports courier's git hooks, runs them, and tells which files the
// index or a commit touched.
//
// Hooks go where git runs them (`git rev-parse --git-path hooks`: core.hooksPath, linked worktrees and
// submodules included). Each hook is a short POSIX sh script from templates/hooks that finds the courier
// binary and calls `courier hooks run <name>`; the logic lives in [Run]. A project's own ("foreign") hook is
// never overwritten: it is renamed to `<name>.courier-chained`, runs first on every commit (a sh, bash or
// dash script with $0 still the hook's own path, as dispatchers like husky's need), and is renamed back by
// [Uninstall].
//
// Which hooks git runs, and so what courier sees: `git commit --no-verify` skips pre-commit (and only it),
// so post-commit still reports what the commit added, and the caller must validate again before delivering
// (an invalid draft is reported, not delivered). `git cherry-pick`, `git revert` and the picks of `git rebase` run post-commit
// but never pre-commit; a cherry-pick or a `git merge --squash` commit is an ordinary one-parent commit, so
// its drafts are delivered like any others (the ledger keeps a draft delivered once). During a rebase HEAD
// is detached (no work item branch, so the caller delivers nothing); post-rewrite, run once the rebase has
// finished and the branch is back, hands over every rewritten commit, and that is where a rebase delivers.
//
// [Run] reports the files a hook is about (paths, blob ids, contents) and never prints; what to do with them
// (validate, deliver) is the caller's: this package only knows git. It reads the index and objects with go-git and never walks the whole tree: only
// subtrees whose hashes differ are compared, and blob contents are read only for paths the caller matches.
package hooks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/monoco/courier/gitdir"
)

// ErrNotRepo is returned by [Open] for a directory that is not inside a git repository.
var ErrNotRepo = gitdir.ErrNotRepo

// Repo says where git will look (all paths absolute), and whether git tracks the hooks directory.
type Repo struct {
	gitdir.Layout
	HooksTracked bool // HooksDir is inside Top and tracked by git (e.g. husky's .husky)
}

// Open finds the repository containing dir (a worktree, a linked worktree, a submodule or a git dir).
// It asks git itself (`git rev-parse`), so every configuration layer is honoured. Outside a repository
// it returns an error wrapping [ErrNotRepo].
func Open(dir string) (*Repo, error) {
	l, err := gitdir.Ask(dir)
	if err != nil {
		return nil, err
	}
	r := &Repo{Layout: l}
	if r.HooksTracked, err = tracked(r); err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	return r, nil
}

// HookDirEnv is the variable through which courier's hook script names its own directory when it starts
// `courier hooks run` (see [OpenHook]).
const HookDirEnv = "COURIER_HOOK_DIR"

// OpenHook is [Open] for `courier hooks run`, without a git command when it can: started by courier's hook
// script, which git runs at the top of the worktree, with hooksDir the script's own directory (getenv of
// [HookDirEnv]; relative to dir) and none of GIT_DIR, GIT_WORK_TREE and GIT_COMMON_DIR set, it reads dir's
// `.git` (a directory, or a file naming one) and its `commondir` as git does. Anything else (started by
// hand, no `.git` in dir, a main worktree it cannot tell from the common dir) is left to [Open].
// HooksTracked is not computed (false): only [Install] and [Status] need it.
func OpenHook(dir string, getenv func(string) string) (*Repo, error) {
	if r := discover(dir, getenv); r != nil {
		return r, nil
	}
	return Open(dir)
}

// discover is OpenHook's reading of dir's git dir without git; nil when it must ask git.
func discover(dir string, getenv func(string) string) *Repo {
	hooksDir := getenv(HookDirEnv)
	if hooksDir == "" || getenv("GIT_DIR") != "" || getenv("GIT_WORK_TREE") != "" || getenv("GIT_COMMON_DIR") != "" {
		return nil
	}
	top, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	gitDir := filepath.Join(top, ".git")
	fi, err := os.Lstat(gitDir)
	switch {
	case err != nil:
		return nil
	case fi.Mode().IsRegular(): // a linked worktree or a submodule: "gitdir: <path>"
		b, err := os.ReadFile(gitDir)
		p, ok := strings.CutPrefix(strings.TrimRight(string(b), "\r\n"), "gitdir: ")
		if err != nil || !ok || p == "" {
			return nil
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(top, p)
		}
		gitDir = filepath.Clean(p)
	case !fi.IsDir():
		return nil
	}
	if _, err := os.Stat(filepath.Join(gitDir, "HEAD")); err != nil {
		return nil
	}
	r := &Repo{Layout: gitdir.Layout{Top: top, GitDir: gitDir, CommonDir: gitDir, MainWorktree: top, HooksDir: filepath.Join(top, hooksDir)}}
	if filepath.IsAbs(hooksDir) {
		r.HooksDir = filepath.Clean(hooksDir)
	}
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		p := strings.TrimRight(string(b), "\r\n")
		if !filepath.IsAbs(p) {
			p = filepath.Join(gitDir, p)
		}
		r.CommonDir = filepath.Clean(p)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if r.CommonDir != r.GitDir {
		if filepath.Base(r.CommonDir) != ".git" || !isDir(r.CommonDir) {
			return nil // a main worktree only `git worktree list` knows
		}
		r.MainWorktree = filepath.Dir(r.CommonDir)
	}
	if !isDir(r.HooksDir) || !isDir(r.CommonDir) {
		return nil
	}
	return r
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// tracked reports whether r.HooksDir lies inside the worktree and git tracks a file under it.
func tracked(r *Repo) (bool, error) {
	if r.Top == r.GitDir || within(r.HooksDir, r.GitDir) || within(r.HooksDir, r.CommonDir) {
		return false, nil
	}
	rel, err := filepath.Rel(r.Top, r.HooksDir)
	if err != nil || !filepath.IsLocal(rel) {
		return false, nil //nolint:nilerr // outside the worktree: not tracked
	}
	out, err := gitRaw(r.Top, nil, "ls-files", "-z", "--", filepath.ToSlash(rel))
	if err != nil {
		return false, err
	}
	return len(out) > 0, nil
}

// within reports whether path is dir or lies below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// git runs git in dir and returns its stdout lines.
func git(dir string, args ...string) ([]string, error) {
	out, err := gitRaw(dir, nil, args...)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n"), nil
}

// gitRaw runs git in dir with the process environment plus env and returns its stdout.
func gitRaw(dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, msg, err := output(cmd)
	if err != nil {
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}
