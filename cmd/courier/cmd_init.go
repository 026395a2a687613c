package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/hooks"
	"github.com/monoco/courier/templates"
)

func (a *app) initCmd() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create the mailbox layout, a commented .monoco/courier.yaml, and the .git/info/exclude entries",
		Description: "Idempotent; works in any git repository (with one commit or none). Run it in the main\n" +
			"worktree or any linked worktree: the mailbox and configuration live in the main worktree.",
		Action: func(c *cli.Context) error {
			lines, err := a.initRepo()
			for _, l := range lines {
				fmt.Fprintln(a.stdout, l)
			}
			return err
		},
	}
}

// initRepo creates the layout and returns what it did.
func (a *app) initRepo() ([]string, error) {
	r, err := hooks.Open(a.dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (courier init needs a git repository: run git init first)", a.dir, err)
	}
	var lines []string
	cfgPath, explicit := configFile(a.configFlag, a.getenv, r.MainWorktree, a.dir)
	if _, err := os.Stat(cfgPath); errors.Is(err, fs.ErrNotExist) && !explicit {
		data, err := templates.FS.ReadFile("config/courier.yaml")
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(cfgPath), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
			return nil, err
		}
		lines = append(lines, "wrote "+relPath(r.MainWorktree, cfgPath))
	}
	cfg, err := loadConfig(cfgPath, explicit, r.MainWorktree, a.getenv)
	if err != nil {
		return lines, err
	}
	dir := cfg.mailboxDir()
	mb, err := mailbox.Open(dir)
	if err != nil {
		return lines, err
	}
	if _, err := mb.Sealer(); err != nil {
		return lines, err
	}
	lines = append(lines, "mailbox "+relPath(r.MainWorktree, dir))
	excludes := []string{"/" + strings.TrimSuffix(relPath(r.MainWorktree, dir), "/") + "/"}
	fileDir := ".monoco/outbox-local"
	if d := cfg.Providers.fileDir(); d != "" {
		fileDir = d
	}
	if !filepath.IsAbs(fileDir) {
		excludes = append(excludes, "/"+strings.TrimSuffix(filepath.ToSlash(filepath.Clean(fileDir)), "/")+"/")
	}
	// The log of `courier watch --print-service` units.
	excludes = append(excludes, "/.monoco/courier-watch.log")
	added, err := addExcludes(filepath.Join(r.CommonDir, "info", "exclude"), excludes)
	if err != nil {
		return lines, err
	}
	for _, e := range added {
		lines = append(lines, "excluded "+e+" in .git/info/exclude")
	}
	return lines, nil
}

// addExcludes appends the patterns missing from an exclude file and returns the ones it added.
func addExcludes(path string, patterns []string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var buf bytes.Buffer
	buf.Write(data)
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		buf.WriteByte('\n')
	}
	var added []string
	for _, p := range patterns {
		if !have[p] {
			if len(added) == 0 {
				buf.WriteString("# courier: mailbox, local outbox, watcher service log\n")
			}
			buf.WriteString(p + "\n")
			added = append(added, p)
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return added, os.WriteFile(path, buf.Bytes(), 0o644)
}
