package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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
				Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "also write into a hooks directory tracked by the repository, or over an unrecognised courier-looking hook"}},
				Action: func(c *cli.Context) error {
					r, err := hooks.Open(a.dir)
					if err != nil {
						return err
					}
					exe, err := hookBinary()
					if err != nil {
						return err
					}
					lines, err := hooks.Install(r, hooks.InstallOptions{Force: c.Bool("force"), Binary: exe, Pathspecs: a.hookPathspecs(r)})
					for _, l := range lines {
						fmt.Fprintln(a.stdout, l)
					}
					return err
				},
			},
			{
				Name:  "uninstall",
				Usage: "remove courier's hooks and restore the hooks they chained, byte for byte",
				Action: func(c *cli.Context) error {
					r, err := hooks.Open(a.dir)
					if err != nil {
						return err
					}
					lines, err := hooks.Uninstall(r)
					for _, l := range lines {
						fmt.Fprintln(a.stdout, l)
					}
					return err
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
					st, err := hooks.StatusFor(r, a.hookPathspecs(r))
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

// hookPathspecs are the pathspecs for which the hook scripts start courier; nil (courier starts on
// every commit) when the configuration cannot be read.
func (a *app) hookPathspecs(r *hooks.Repo) []string {
	ws, err := a.workspaceIn(r)
	if err != nil {
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
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// runHook is courier's part of a hook: pre-commit validates the staged drafts, post-commit and
// post-rewrite deliver the current work item's committed drafts. It runs on every commit, so it does
// only what the commit needs: the configuration is read to know where drafts live, and the branch,
// the validator and the mailbox are set up only when the commit touches a draft.
func (a *app) runHook(ctx context.Context, name string, args []string) error {
	r, err := hooks.Open(a.dir)
	if err != nil {
		return err
	}
	ws, werr := a.workspaceIn(r)
	if werr != nil {
		if name != "pre-commit" {
			fmt.Fprintf(a.stderr, "courier: %s: not delivering: %v\n", name, werr)
			return nil // a post-* hook never blocks
		}
		// A broken configuration blocks only commits that carry drafts.
		act := hooks.Actions{
			Match:    func(p string) bool { _, ok := drafts.ItemForPath(p, drafts.DefaultPatterns()); return ok },
			Validate: func(context.Context, []hooks.File, io.Writer) error { return werr },
		}
		if code := hooks.Run(ctx, r, name, args, a.stdin, a.stdout, a.stderr, a.getenv, act); code != 0 {
			return &exitError{code: code, msg: werr.Error()}
		}
		return nil
	}
	if code := hooks.Run(ctx, r, name, args, a.stdin, a.stdout, a.stderr, a.getenv, a.hookActions(ws)); code != 0 {
		return silent(code)
	}
	return nil
}

// hookActions are the hooks' callbacks. The session (branch, validator) is built on first use.
func (a *app) hookActions(ws *workspace) hooks.Actions {
	patterns := ws.cfg.patterns()
	var s *session
	var serr error
	sess := func() (*session, error) {
		if s == nil && serr == nil {
			s, serr = newSession(ws, "")
		}
		return s, serr
	}
	toInput := func(f hooks.File) drafts.Input { return drafts.Input{Path: f.Path, Content: f.Content, Blob: f.Blob} }
	return hooks.Actions{
		Match: func(p string) bool { _, ok := drafts.ItemForPath(p, patterns); return ok },
		Under: commonPrefix(patterns),
		Validate: func(_ context.Context, files []hooks.File, stderr io.Writer) error {
			s, err := sess()
			if err != nil {
				fmt.Fprintf(stderr, "courier: pre-commit: cannot validate the staged drafts: %v (COURIER_SKIP=1 commits without courier)\n", err)
				return err
			}
			bad := 0
			for _, f := range files {
				if _, errs := s.validator.Parse(toInput(f)); len(errs) > 0 {
					printInvalid(stderr, errs)
					bad++
				}
				// On a detached HEAD (a rebase in progress) post-rewrite delivers once the rebase is done.
				if it, _ := drafts.ItemForPath(f.Path, s.patterns); s.branch != "" && (!s.hasItem || it.ID != s.item.ID) {
					fmt.Fprintf(stderr, "courier: note: %s belongs to %s; it will not be delivered from branch %q\n",
						f.Path, it.ID, s.branch)
				}
			}
			if bad > 0 {
				fmt.Fprintf(stderr, "courier: commit blocked: %s invalid (fix, or skip courier with COURIER_SKIP=1)\n", plural(bad, "draft"))
				return errors.New("invalid drafts")
			}
			return nil
		},
		Deliver: func(ctx context.Context, files []hooks.File, stdout, stderr io.Writer) {
			s, err := sess()
			if err != nil {
				fmt.Fprintf(stderr, "courier: could not deliver: %v\n", err)
				return
			}
			if !s.hasItem {
				return
			}
			var inputs []drafts.Input
			for _, f := range files {
				if it, ok := drafts.ItemForPath(f.Path, s.patterns); ok && it.ID == s.item.ID {
					inputs = append(inputs, toInput(f))
				}
			}
			if len(inputs) == 0 {
				return
			}
			mb, err := s.ws.mailbox()
			if err != nil {
				fmt.Fprintf(stderr, "courier: could not deliver: %v\n", err)
				return
			}
			d := &drafts.Deliverer{Mailbox: mb, Validator: s.validator, Now: a.now,
				Info: drafts.StampInfo{Item: s.item, Branch: s.branch, Commit: s.commit}}
			res, err := d.Deliver(ctx, inputs, drafts.Options{})
			if err != nil {
				fmt.Fprintf(stderr, "courier: could not deliver: %v\n", err)
				return
			}
			for _, dl := range res.Delivered {
				fmt.Fprintf(stdout, "delivered %s → %s\n", dl.Draft, dl.ID)
			}
			for _, e := range res.Invalid {
				fmt.Fprintf(stderr, "courier: not delivered: %s\n", strings.TrimSpace(e.Error()))
			}
		},
	}
}

// commonPrefix is the leading directory every drafts pattern shares (e.g. "Issues/"), so that the
// post-commit hook diffs only that subtree; "" when they share none.
func commonPrefix(ps []drafts.Pattern) string {
	prefix := ""
	for i, p := range ps {
		dir, _, _ := strings.Cut(p.Dir, "{item}")
		dir = dir[:strings.LastIndex(dir, "/")+1]
		if i == 0 {
			prefix = dir
		}
		for !strings.HasPrefix(dir, prefix) {
			prefix = prefix[:strings.LastIndex(strings.TrimSuffix(prefix, "/"), "/")+1]
		}
	}
	return prefix
}

// hookBinary is the courier path the hooks record: the `courier` found on PATH when it is this very
// binary (a package manager's symlink, e.g. /usr/local/bin/courier, survives upgrades that move the
// versioned target), else this executable's own path.
func hookBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	self, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return exe, nil //nolint:nilerr // unresolvable: record the path as it is
	}
	if found, err := exec.LookPath("courier"); err == nil {
		if abs, err := filepath.Abs(found); err == nil {
			if target, err := filepath.EvalSymlinks(abs); err == nil && target == self {
				return abs, nil
			}
		}
	}
	return exe, nil
}
