package guard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// Settings is what courier's configuration says about the places the guard protects.
type Settings struct {
	Mailbox string // the mailbox directory
	Protect []Kind // nil protects every kind
	// DraftsDir is the drafts directory (relative to the main worktree) of a branch's work item, ""
	// when the branch names none.
	DraftsDir func(branch string) string
}

// Env is what [For] needs from the rest of courier, handed in so that the guard imports none of it.
type Env struct {
	Getenv func(string) string
	// Open finds the repository containing dir by asking git, when [Discover] cannot be sure.
	Open func(dir string) (Repo, error)
	// ConfigFile is the configuration file of the repository whose main worktree is root.
	ConfigFile func(root string) string
	// Settings reads that configuration; dir is the directory the guard decides for.
	Settings func(root, dir string) (Settings, error)
}

// For builds the guard for the repository containing dir, and returns the top of dir's worktree (dir
// outside a repository). Its own trouble (no repository, a broken configuration) is a note, and the
// guard then protects the default places it can still find.
func For(dir string, env Env) (g *Guard, top, note string) {
	l := Layout{Root: dir, Getenv: env.Getenv}
	var notes []string
	r, ok := Discover(dir, env.Getenv)
	if !ok {
		var err error
		if r, err = env.Open(dir); err != nil {
			notes = append(notes, err.Error())
		} else {
			ok = true
		}
	}
	top = dir
	if ok {
		top = r.Top
		l.Root, l.CommonDir, l.HooksDir = r.MainWorktree, r.CommonDir, r.HooksDir
	}
	l.Mailbox = filepath.Join(l.Root, ".monoco", "mailbox")
	l.ConfigFile = env.ConfigFile(l.Root)
	if s, err := env.Settings(l.Root, dir); err != nil {
		notes = append(notes, strings.ReplaceAll(err.Error(), "\n", "; ")+" (protecting the defaults)")
	} else {
		l.Mailbox, l.Protect = s.Mailbox, s.Protect
		if branch := HeadBranch(r.GitDir); ok && branch != "" {
			l.DraftsDir = s.DraftsDir(branch)
		}
	}
	g, err := New(l)
	if err != nil {
		notes = append(notes, err.Error()+" (protecting everything)")
		l.Protect = nil
		g, _ = New(l)
	}
	return g, top, strings.Join(notes, "; ")
}

// HeadBranch reads the branch HEAD names in a git dir ("" when detached or unreadable). Reading the
// file costs less than a git subprocess on a path that runs before every tool call.
func HeadBranch(gitDir string) string {
	if gitDir == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	ref, ok := bytes.CutPrefix(bytes.TrimSpace(b), []byte("ref: refs/heads/"))
	if !ok {
		return ""
	}
	return string(ref)
}
