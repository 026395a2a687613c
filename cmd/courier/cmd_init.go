package main

import (
	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/config"
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
func (a *app) initRepo() (lines []string, err error) {
	r, err := a.openRepo("run git init first")
	if err != nil {
		return nil, err
	}
	if wrote, err := config.Init(a.configFlag, a.getenv, r.MainWorktree, a.dir); err != nil {
		return nil, err
	} else if wrote != "" {
		lines = append(lines, "wrote "+wrote)
	}
	if err := a.loadIn(r); err != nil {
		return lines, err
	}
	mb, err := a.mailbox(true)
	if err == nil {
		_, err = mb.Sealer()
	}
	if err != nil {
		return lines, err
	}
	lines = append(lines, "mailbox "+relPath(r.MainWorktree, mb.Root))
	added, err := r.Exclude(a.cfg.Excludes())
	for _, e := range added {
		lines = append(lines, "excluded "+e+" in .git/info/exclude")
	}
	return lines, err
}
