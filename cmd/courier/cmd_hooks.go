package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/config"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/hooks"
)

func (a *app) hooksCmd() *cli.Command {
	return &cli.Command{
		Name:  "hooks",
		Usage: "install, remove or inspect courier's git hooks",
		Subcommands: []*cli.Command{
			{
				Name:  "install",
				Usage: "install pre-commit, post-commit and post-rewrite hooks (existing hooks are kept and chained)",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "also write into a hooks directory tracked by the repository, or over an unrecognised courier-looking hook"},
					&cli.BoolFlag{Name: "validate-only", Usage: "install pre-commit validation only, no delivery hooks (agents' machines in central mode)"}},
				Action: a.hooksInstall,
			},
			{
				Name:  "uninstall",
				Usage: "remove courier's hooks and restore the hooks they chained, byte for byte",
				Action: func(c *cli.Context) error {
					r, err := hooks.Open(a.dir)
					if err != nil {
						return err
					}
					return a.printLines(hooks.Uninstall(r))
				},
			},
			{
				Name:  "status",
				Usage: "show which hooks git will run, whether they are courier's, and what they chain",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the report as JSON on stdout"}},
				Action: func(c *cli.Context) error {
					r, err := hooks.Open(a.dir)
					if err != nil {
						return err
					}
					st, err := hooks.StatusFor(r, a.hookPathspecs(r))
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(a.stdout, st.JSON())
					}
					st.Print(a.stdout)
					return nil
				},
			},
			{
				Name:      "run",
				Usage:     "run courier's part of a git hook (called by the hook scripts)",
				ArgsUsage: "HOOK [ARGS...]",
				Hidden:    true,
				Action: func(c *cli.Context) error {
					if c.NArg() < 1 {
						return usageErrorf("hooks run needs a hook name")
					}
					return a.runHook(c.Context, c.Args().First(), c.Args().Tail())
				},
			},
		},
	}
}

func (a *app) hooksInstall(c *cli.Context) error {
	r, err := hooks.Open(a.dir)
	if err != nil {
		return err
	}
	exe, err := hooks.Binary()
	if err != nil {
		return err
	}
	return a.printLines(hooks.Install(r, hooks.InstallOptions{Force: c.Bool("force"), Binary: exe, Pathspecs: a.hookPathspecs(r), ValidateOnly: c.Bool("validate-only")}))
}

// printLines prints what a command did, then returns its error.
func (a *app) printLines(lines []string, err error) error {
	for _, l := range lines {
		fmt.Fprintln(a.stdout, l)
	}
	return err
}

// hookPathspecs are the pathspecs for which the hook scripts start courier; nil (courier starts on
// every commit) when the configuration cannot be read.
func (a *app) hookPathspecs(r *hooks.Repo) []string {
	cfg, err := config.Open(a.configFlag, a.getenv, r.MainWorktree, a.dir, registry())
	if err != nil {
		return nil
	}
	return hooks.DraftPathspecs(r, cfg.DraftDirs(), cfg.MailboxDir())
}

// runHook is courier's part of a hook: hooks.Run reports the drafts the index (pre-commit) or the new
// commits (post-commit, post-rewrite) touched; pre-commit validates them, the others deliver the
// current work item's. It runs on every commit, so it does only what the commit needs: the
// configuration is read to know where drafts live, and the branch, the validator and the mailbox are
// set up only when the commit touches a draft. Started by the hook script, it finds the repository
// without a git command (hooks.OpenHook).
func (a *app) runHook(ctx context.Context, name string, args []string) error {
	r, err := hooks.OpenHook(a.dir, a.getenv)
	if err != nil {
		return err
	}
	cfgErr := a.loadIn(r)
	if cfgErr != nil && name != "pre-commit" {
		a.warn("%s: not delivering: %v", name, cfgErr)
		return nil // a post-* hook never blocks
	}
	h := a.draftsHook(cfgErr != nil)
	res, err := hooks.Run(ctx, r, name, hooks.Options{Args: args, Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr,
		Getenv: a.getenv, Match: h.Match, Under: h.Under(), MaxSize: drafts.MaxDraft, Notice: h.Notice})
	for _, n := range res.Notes {
		a.warn("%s", n)
	}
	switch {
	case err != nil && name != "pre-commit" && !errors.Is(err, hooks.ErrUnknownHook):
		a.warn("%v", err)
		return nil // a post-* hook never blocks
	case err != nil && cfgErr != nil: // the hook's code, and the configuration's error as the last word
		a.warn("%v", err)
		return &exitError{code: exitCode(err), msg: cfgErr.Error()}
	case err != nil:
		return err
	}
	var files []drafts.Touched
	for _, f := range res.Files {
		files = append(files, drafts.Touched{Path: f.Path, Blob: f.Blob, Symlink: f.Kind == hooks.Symlink,
			Gitlink: f.Kind == hooks.Gitlink, Size: f.Size, Content: f.Content})
	}
	out, err := h.Run(ctx, name, files, res.Noticed, res.Skipped)
	for _, l := range out.Out {
		fmt.Fprintln(a.stdout, l)
	}
	for _, l := range out.Err {
		if l.Problem {
			fmt.Fprintln(a.stderr, l.Text)
		} else {
			a.warn("%s", l.Text)
		}
	}
	switch {
	case errors.Is(err, drafts.ErrHookConfig):
		return &exitError{code: exitFailure, msg: cfgErr.Error()}
	case err != nil && name != "pre-commit":
		a.warn("could not deliver: %v", err)
		return nil
	}
	return err
}

// draftsHook wires the drafts side of a hook; a broken configuration still names drafts of the
// default patterns, so that it blocks only commits that carry drafts.
func (a *app) draftsHook(broken bool) *drafts.Hook {
	h := &drafts.Hook{Patterns: drafts.DefaultPatterns(), Broken: broken, Now: a.now,
		Mailbox: func() (*mailbox.Mailbox, error) { return a.mailbox(true) },
		Head:    func() (string, error) { b, _, err := a.repo.Head(); return b, err },
		Setup: func() (drafts.StampInfo, *drafts.Validator, error) {
			err := a.readBranch("")
			return a.info, a.validator, err
		}}
	if !broken {
		h.Patterns, h.MailboxRel = a.cfg.Patterns(), a.cfg.MailboxRel()
	}
	return h
}
