package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
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
						return writeJSON(a.stdout, hookStatusJSON(st))
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
	ws := &app{getenv: a.getenv, dir: a.dir, configFlag: a.configFlag}
	if err := ws.loadIn(r); err != nil {
		return nil
	}
	var dirs []string
	for _, p := range ws.cfg.patterns() {
		dirs = append(dirs, p.Dir)
	}
	return hooks.DraftPathspecs(r, dirs, ws.cfg.mailboxDir())
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
	inMailbox := a.mailboxPaths()
	res, err := hooks.Run(ctx, r, name, hooks.Options{Args: args, Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr,
		Getenv: a.getenv, Match: func(p string) bool { _, ok := drafts.ItemForPath(p, ps); return ok }, Under: under,
		MaxSize: drafts.MaxDraft,
		Notice: func(p string) bool {
			if inMailbox(p) {
				return true
			}
			bad, _ := drafts.Misplaced(p, ps)
			return bad
		}})
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
	case res.Skipped:
		a.namesSkipped(name, res.Files, ps)
		return nil
	}
	if name == "pre-commit" {
		if err := a.noticeStaged(res.Noticed, inMailbox, ps); err != nil {
			return err
		}
	}
	if len(res.Files) == 0 {
		return nil
	}
	files, refused := hookInputs(res.Files)
	if name == "pre-commit" {
		return a.preCommit(files, refused, cfgErr)
	}
	if err := a.deliverCommitted(ctx, files, refused); err != nil {
		a.warn("could not deliver: %v", err)
	}
	return nil
}

// mailboxRel is the mailbox's place as a repository path (README.md, "Protection"): the configured
// mailbox relative to the main worktree, else the default .monoco/mailbox.
func (a *app) mailboxRel() string {
	if a.cfg != nil && a.cfg.mailboxDir() != "" {
		if r, err := filepath.Rel(a.root, a.cfg.mailboxDir()); err == nil && r != "." && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
	}
	return ".monoco/mailbox"
}

// mailboxPaths returns whether a repository path lies in the mailbox.
func (a *app) mailboxPaths() func(string) bool {
	rel := a.mailboxRel()
	return func(p string) bool { return p == rel || strings.HasPrefix(p, rel+"/") }
}

// noticeStaged refuses a commit that stages a mailbox path and warns about misplaced drafts (README.md,
// "Git hooks"): one line each.
func (a *app) noticeStaged(noticed []string, inMailbox func(string) bool, ps []drafts.Pattern) error {
	var mb []string
	for _, p := range noticed {
		if inMailbox(p) {
			mb = append(mb, p)
			continue
		}
		_, want := drafts.Misplaced(p, ps)
		if want == "" {
			if it, _ := a.branchItem(ps); it.ID != "" {
				want = it.Dir
			} else {
				want = strings.Join(drafts.PatternDirs(ps), ", ")
			}
		}
		a.warn("warning: %s is not a draft and will be neither validated nor delivered: drafts are *.md files directly in %s/", p, want)
	}
	if len(mb) == 0 {
		return nil
	}
	root := a.mailboxRel()
	staged := plural(len(mb), "staged path") + " is"
	if len(mb) > 1 {
		staged = plural(len(mb), "staged path") + " are"
	}
	return fmt.Errorf("commit blocked: %s under the mailbox %s/ (%s), which is courier's: only courier writes there; unstage with `git rm -r --cached %s`",
		staged, root, mb[0], root)
}

// branchItem is the work item of the current branch ("" ID when there is none or HEAD is detached).
func (a *app) branchItem(ps []drafts.Pattern) (drafts.Item, string) {
	branch, _, err := a.repo.Head()
	if err != nil {
		return drafts.Item{}, ""
	}
	it, _ := drafts.ItemForBranch(branch, ps)
	return it, branch
}

// namesSkipped names, under COURIER_SKIP=1, each draft the hook did not validate or deliver.
func (a *app) namesSkipped(name string, files []hooks.File, ps []drafts.Pattern) {
	verb := "not delivered"
	if name == "pre-commit" {
		verb = "not validated"
	} else {
		it, _ := a.branchItem(ps)
		var mine []hooks.File
		for _, f := range files {
			if got, _ := drafts.ItemForPath(f.Path, ps); it.ID != "" && got.ID == it.ID {
				mine = append(mine, f)
			}
		}
		files = mine
	}
	// The same lines as the hook script's own (templates/hooks/hook.sh), which names them when courier
	// does not start at all.
	for _, f := range files {
		a.warn("COURIER_SKIP=1: %s: %s", verb, f.Path)
	}
	if len(files) > 0 {
		a.warn("`courier deliver` delivers them later")
	}
}

// hookInputs turns what a hook found into drafts to validate, and refuses from what git records alone
// a symbolic link, a gitlink or a blob over the size limit (README.md, "Drafts"): none of them is read.
func hookInputs(files []hooks.File) ([]drafts.Input, []*drafts.ValidationError) {
	var in []drafts.Input
	var refused []*drafts.ValidationError
	for _, f := range files {
		switch {
		case f.Kind == hooks.Symlink:
			refused = append(refused, &drafts.ValidationError{File: f.Path, Msg: "draft is a symbolic link; only regular files are read"})
		case f.Kind == hooks.Gitlink:
			refused = append(refused, &drafts.ValidationError{File: f.Path, Msg: "draft is a gitlink (a submodule), not a regular file"})
		case f.Content == nil && f.Size > drafts.MaxDraft:
			refused = append(refused, &drafts.ValidationError{File: f.Path, Field: "body",
				Msg: fmt.Sprintf("draft is %d bytes, over the %d allowed (frontmatter ≤ 64 KiB, body ≤ 1 MiB); it was not read", f.Size, drafts.MaxDraft)})
		default:
			in = append(in, drafts.Input{Path: f.Path, Content: f.Content, Blob: f.Blob})
		}
	}
	return in, refused
}

// preCommit validates the staged drafts; an invalid or refused one blocks the commit.
func (a *app) preCommit(files []drafts.Input, refused []*drafts.ValidationError, cfgErr error) error {
	if cfgErr != nil {
		return &exitError{code: exitFailure, msg: cfgErr.Error()}
	}
	if err := a.readBranch(""); err != nil {
		return fmt.Errorf("pre-commit: cannot validate the staged drafts: %v (COURIER_SKIP=1 commits without courier)", err)
	}
	printInvalid(a.stderr, refused)
	bad := len(refused)
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

// deliverCommitted delivers the drafts of the branch's work item that new commits added or changed,
// and prints one line for every draft they touched (README.md, "Git hooks"): delivered, skipped
// (with the --force hint), invalid, or another item's.
func (a *app) deliverCommitted(ctx context.Context, files []drafts.Input, refused []*drafts.ValidationError) error {
	if err := a.readBranch(""); err != nil {
		return err
	}
	ps := a.cfg.patterns()
	for _, e := range refused {
		if it, _ := drafts.ItemForPath(e.File, ps); it.ID == a.info.Item.ID {
			a.warn("not delivered: %s", strings.TrimSpace(e.Error()))
		}
	}
	mine := drafts.OfItem(files, a.info.Item, ps)
	for _, l := range drafts.NotOfItem(files, a.info, ps) {
		a.warn("%s", l)
	}
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
	for _, s := range res.Skipped {
		fmt.Fprintln(a.stdout, drafts.SkippedLine(s))
	}
	for _, e := range res.Invalid {
		a.warn("not delivered: %s", strings.TrimSpace(e.Error()))
	}
	return nil
}
