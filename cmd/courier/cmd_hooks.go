package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

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
				Action: func(c *cli.Context) error {
					r, err := hooks.Open(a.dir)
					if err != nil {
						return err
					}
					st, err := hooks.Status(r)
					if err != nil {
						return err
					}
					printHookStatus(a.stdout, st)
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
	return a.printLines(hooks.Install(r, hooks.InstallOptions{Force: c.Bool("force"), Binary: exe, ValidateOnly: c.Bool("validate-only")}))
}

// printLines prints what a command did, then returns its error.
func (a *app) printLines(lines []string, err error) error {
	for _, l := range lines {
		fmt.Fprintln(a.stdout, l)
	}
	return err
}

func printHookStatus(w io.Writer, st *hooks.StatusReport) {
	tracked := ""
	if st.HooksTracked {
		tracked = " (tracked in the repository)"
	}
	fmt.Fprintf(w, "hooks directory: %s%s\n", st.HooksDir, tracked)
	for _, h := range st.Hooks {
		state := "not installed"
		switch {
		case h.Courier && h.Executable:
			state = "courier"
		case h.Courier:
			state = "courier (NOT executable: git will skip it)"
		case h.Path != "" && h.Executable:
			state = "foreign hook (courier not installed)"
		case h.Path != "":
			state = "foreign hook, not executable"
		}
		if h.Chained != "" {
			state += ", chains " + h.Chained
		}
		fmt.Fprintf(w, "  %-12s %s\n", h.Name, state)
	}
	if st.ValidateOnly() {
		fmt.Fprintln(w, "mode: validate-only (pre-commit validates drafts; no delivery hooks: a central courier delivers what is pushed)")
	}
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// runHook is courier's part of a hook: hooks.Run reports the drafts the index (pre-commit) or the new
// commits (post-commit, post-rewrite) touched; pre-commit validates them, the others deliver the
// current work item's. It runs on every commit, so it does only what the commit needs: the
// configuration is read to know where drafts live, and the branch, the validator and the mailbox are
// set up only when the commit touches a draft.
func (a *app) runHook(ctx context.Context, name string, args []string) error {
	r, err := hooks.Open(a.dir)
	if err != nil {
		return err
	}
	cfgErr := a.loadIn(r)
	if cfgErr != nil && name != "pre-commit" {
		a.warn("%s: not delivering: %v", name, cfgErr)
		return nil // a post-* hook never blocks
	}
	// A broken configuration blocks only commits that carry drafts (of the default patterns).
	ps, under := drafts.DefaultPatterns(), ""
	if cfgErr == nil {
		ps = a.cfg.patterns()
		under = drafts.Under(ps)
	}
	res, err := hooks.Run(ctx, r, name, hooks.Options{Args: args, Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr,
		Getenv: a.getenv, Match: func(p string) bool { _, ok := drafts.ItemForPath(p, ps); return ok }, Under: under})
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
	case err != nil || len(res.Files) == 0:
		return err
	}
	files := make([]drafts.Input, len(res.Files))
	for i, f := range res.Files {
		files[i] = drafts.Input{Path: f.Path, Content: f.Content, Blob: f.Blob}
	}
	if name == "pre-commit" {
		return a.preCommit(files, cfgErr)
	}
	if err := a.deliverCommitted(ctx, files); err != nil {
		a.warn("could not deliver: %v", err)
	}
	return nil
}

// preCommit validates the staged drafts; an invalid one blocks the commit.
func (a *app) preCommit(files []drafts.Input, cfgErr error) error {
	if cfgErr != nil {
		return &exitError{code: exitFailure, msg: cfgErr.Error()}
	}
	if err := a.readBranch(""); err != nil {
		return fmt.Errorf("pre-commit: cannot validate the staged drafts: %v (COURIER_SKIP=1 commits without courier)", err)
	}
	bad := 0
	for _, s := range a.validator.CheckStaged(files, a.info, a.cfg.patterns()) {
		printInvalid(a.stderr, s.Invalid)
		if len(s.Invalid) > 0 {
			bad++
		}
		if s.OtherItem != "" {
			a.warn("note: %s belongs to %s; it will not be delivered from branch %q",
				s.Path, s.OtherItem, a.info.Branch)
		}
	}
	if bad > 0 {
		return fmt.Errorf("commit blocked: %s invalid (fix, or skip courier with COURIER_SKIP=1)", plural(bad, "draft"))
	}
	return nil
}

// deliverCommitted delivers the drafts of the branch's work item that new commits added or changed.
func (a *app) deliverCommitted(ctx context.Context, files []drafts.Input) error {
	if err := a.readBranch(""); err != nil {
		return err
	}
	mine := drafts.OfItem(files, a.info.Item, a.cfg.patterns())
	if len(mine) == 0 {
		return nil
	}
	mb, err := a.mailbox()
	if err != nil {
		return err
	}
	d := &drafts.Deliverer{Mailbox: mb, Validator: a.validator, Now: a.now, Info: a.info}
	res, err := d.Deliver(ctx, mine, drafts.Options{})
	if err != nil {
		return err
	}
	for _, dl := range res.Delivered {
		fmt.Fprintf(a.stdout, "delivered %s → %s\n", dl.Draft, dl.ID)
	}
	for _, e := range res.Invalid {
		a.warn("not delivered: %s", strings.TrimSpace(e.Error()))
	}
	return nil
}
