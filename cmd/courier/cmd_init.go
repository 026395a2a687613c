package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/config"
	"github.com/monoco/courier/hooks"
	"github.com/monoco/courier/templates"
)

func (a *app) initCmd() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create the mailbox layout, a commented .monoco/courier.yaml, and the .git/info/exclude entries",
		Description: "Idempotent; works in any git repository (with one commit or none). Run it in the main\n" +
			"worktree or any linked worktree: the mailbox and configuration live in the main worktree.",
		Action: func(c *cli.Context) error { return a.printLines(a.initRepo()) },
	}
}

// initRepo creates the configuration (unless one exists or was named), the mailbox and its seal, and
// the exclude entries, and returns what it did.
func (a *app) initRepo() ([]string, error) {
	r, err := hooks.Open(a.dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (courier init needs a git repository: run git init first)", a.dir, err)
	}
	var lines []string
	cfgPath, explicit := config.File(a.configFlag, a.getenv, r.MainWorktree, a.dir)
	if _, err := os.Stat(cfgPath); errors.Is(err, fs.ErrNotExist) && !explicit {
		if err := writeDefaultConfig(cfgPath); err != nil {
			return nil, err
		}
		lines = append(lines, "wrote "+relPath(r.MainWorktree, cfgPath))
	}
	if err := a.loadIn(r); err != nil {
		return lines, err
	}
	mb, err := a.mailbox()
	if err != nil {
		return lines, err
	}
	if _, err := mb.Sealer(); err != nil {
		return lines, err
	}
	lines = append(lines, "mailbox "+relPath(r.MainWorktree, mb.Root))
	added, err := r.Exclude(a.excludes())
	for _, e := range added {
		lines = append(lines, "excluded "+e+" in .git/info/exclude")
	}
	return lines, err
}

// excludes are the paths git must not see: the mailbox, the file provider's directory (when inside
// the repository) and the log of `courier watch --print-service` units.
func (a *app) excludes() []string {
	dirPattern := func(rel string) string { return "/" + strings.TrimSuffix(filepath.ToSlash(rel), "/") + "/" }
	out := []string{dirPattern(relPath(a.root, a.cfg.mailboxDir()))}
	fileDir := ".monoco/outbox-local"
	if d := a.cfg.Providers.FileDir(); d != "" {
		fileDir = d
	}
	if !filepath.IsAbs(fileDir) {
		out = append(out, dirPattern(filepath.Clean(fileDir)))
	}
	return append(out, "/.monoco/courier-watch.log")
}

func writeDefaultConfig(path string) error {
	data, err := templates.FS.ReadFile("config/courier.yaml")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
