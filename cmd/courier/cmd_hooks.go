package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
					exe, err := os.Executable()
					if err != nil {
						return err
					}
					lines, err := hooks.Install(r, hooks.InstallOptions{Force: c.Bool("force"), Binary: exe})
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
// post-rewrite deliver the current work item's committed drafts.
func (a *app) runHook(ctx context.Context, name string, args []string) error {
	r, err := hooks.Open(a.dir)
	if err != nil {
		return err
	}
	// Errors before the hook runs must not block a commit for a post-* hook.
	s, serr := a.session("")
	act := hooks.Actions{Match: func(string) bool { return false }}
	if serr == nil {
		act = a.hookActions(s)
	} else if name == "pre-commit" {
		// A broken configuration blocks only commits that carry drafts.
		act.Match = func(p string) bool { _, ok := drafts.ItemForPath(p, drafts.DefaultPatterns()); return ok }
		act.Validate = func(context.Context, []hooks.File, io.Writer) error { return serr }
	}
	code := hooks.Run(ctx, r, name, args, a.stdin, a.stdout, a.stderr, a.getenv, act)
	if code != 0 {
		if serr != nil && name == "pre-commit" {
			return &exitError{code: code, msg: serr.Error()}
		}
		return silent(code)
	}
	return nil
}

func (a *app) hookActions(s *session) hooks.Actions {
	toInput := func(f hooks.File) drafts.Input { return drafts.Input{Path: f.Path, Content: f.Content, Blob: f.Blob} }
	return hooks.Actions{
		Match: func(p string) bool { _, ok := drafts.ItemForPath(p, s.patterns); return ok },
		Under: commonPrefix(s.patterns),
		Validate: func(_ context.Context, files []hooks.File, stderr io.Writer) error {
			bad := 0
			for _, f := range files {
				if _, errs := s.validator.Parse(toInput(f)); len(errs) > 0 {
					printInvalid(stderr, errs)
					bad++
				}
				if it, _ := drafts.ItemForPath(f.Path, s.patterns); !s.hasItem || it.ID != s.item.ID {
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
