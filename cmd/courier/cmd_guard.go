package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/config"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/guard"
	"github.com/monoco/courier/hooks"
)

// maxEvent bounds the tool-call event read from stdin (a Write event carries the whole file).
const maxEvent = 64 << 20

func (a *app) guardCmd() *cli.Command {
	agentFlag := &cli.StringFlag{Name: "agent", Value: "claude", Usage: "the coding agent: `claude` (Claude Code)"}
	localFlag := &cli.BoolFlag{Name: "local", Usage: "use .claude/settings.local.json (personal, records this binary's path) instead of .claude/settings.json (shared, runs courier from PATH)"}
	return &cli.Command{
		Name:  "guard",
		Usage: "keep coding agents' tools out of the mailbox, courier's state, hooks and config",
		Subcommands: []*cli.Command{
			{
				Name:  "check",
				Usage: "decide on one tool-call event (JSON on stdin): exit 2 with the reason on stderr to deny, exit 0 for no objection",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "path", Usage: "decide on `PATH` instead of reading an event"},
					&cli.BoolFlag{Name: "write", Usage: "with --path: the tool writes, edits or removes PATH (reading is never denied)"},
					&cli.BoolFlag{Name: "json", Usage: "deny with exit 0 and Claude Code's hookSpecificOutput JSON on stdout"},
				},
				Action: a.guardCheck,
			},
			{
				Name:   "install",
				Usage:  "add the guard's PreToolUse hook to the agent's project settings (other settings and hooks are kept)",
				Flags:  []cli.Flag{agentFlag, localFlag},
				Action: a.guardEdit(true),
			},
			{
				Name:   "uninstall",
				Usage:  "remove the guard's hook from the agent's settings (only its own entry)",
				Flags:  []cli.Flag{agentFlag, localFlag},
				Action: a.guardEdit(false),
			},
			{
				Name:   "status",
				Usage:  "show where the guard is installed, whether it is current, and what it protects",
				Flags:  []cli.Flag{agentFlag},
				Action: a.guardStatus,
			},
		},
	}
}

// guardEdit installs or (not install) removes the guard's hook in the agent's settings.
func (a *app) guardEdit(install bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		path, cmd, err := a.guardSettings(c)
		if err != nil {
			return err
		}
		line, err := guard.ClaudeEdit(a.dir, path, cmd, install)
		if err == nil {
			fmt.Fprintln(a.stdout, line)
		}
		return err
	}
}

func (a *app) guardStatus(c *cli.Context) error {
	if c.String("agent") != "claude" {
		return usageErrorf("--agent %s: unknown agent (known: claude)", c.String("agent"))
	}
	g, top, note := a.guardFor(a.dir)
	lines, err := guard.ClaudeReport(top, a.dir)
	if err != nil {
		return err
	}
	for _, p := range g.Protected() {
		lines = append(lines, "protects "+p)
	}
	a.guardNote(note)
	return a.printLines(lines, nil)
}

// guardCheck answers one event (or --path). It never fails because of its own trouble: what it cannot
// read is one line on stderr and no objection.
func (a *app) guardCheck(c *cli.Context) error {
	var (
		d    guard.Decision
		note error
	)
	if p := c.String("path"); p != "" {
		g, _, n := a.guardFor(a.dir)
		a.guardNote(n)
		d = g.CheckPath(p, a.dir, c.Bool("write"))
	} else {
		data, err := io.ReadAll(io.LimitReader(a.stdin, maxEvent))
		if err != nil {
			a.warn("guard: no objection: read the event: %v", err)
			return nil
		}
		dir := guard.EventDir(data, a.dir)
		g, _, n := a.guardFor(dir)
		a.guardNote(n)
		d, note = g.Check(data, dir)
	}
	switch {
	case !d.Deny && note != nil:
		a.warn("guard: no objection: %v", note)
	case !d.Deny:
	case c.Bool("json"):
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(d.ClaudeDeny())
	default:
		fmt.Fprintln(a.stderr, d.Reason)
		return silent(exitUsage) // 2: the exit code that makes Claude Code deny the call
	}
	return nil
}

func (a *app) guardNote(note string) {
	if note != "" {
		a.warn("guard: %s", note)
	}
}

// guardFor builds the guard for the repository containing dir (guard.For).
func (a *app) guardFor(dir string) (g *guard.Guard, top, note string) {
	return guard.For(dir, guard.Env{Getenv: a.getenv,
		Open: func(dir string) (guard.Repo, error) {
			r, err := hooks.Open(dir)
			if err != nil {
				return guard.Repo{}, err
			}
			return guard.Repo{Top: r.Top, GitDir: r.GitDir, CommonDir: r.CommonDir, MainWorktree: r.MainWorktree, HooksDir: r.HooksDir}, nil
		},
		ConfigFile: func(root string) string { f, _ := config.File(a.configFlag, a.getenv, root, a.dir); return f },
		Settings: func(root, dir string) (guard.Settings, error) {
			cfg, err := config.Open(a.configFlag, a.getenv, root, dir, registry())
			if err != nil {
				return guard.Settings{}, err
			}
			return guard.Settings{Mailbox: cfg.MailboxDir(), Protect: cfg.Guard.Protect, DraftsDir: func(branch string) string {
				it, _ := drafts.ItemForBranch(branch, cfg.Patterns())
				return it.Dir
			}}, nil
		}})
}

// guardSettings is the settings file and hook command for install and uninstall.
func (a *app) guardSettings(c *cli.Context) (path, cmd string, err error) {
	if c.String("agent") != "claude" {
		return "", "", usageErrorf("--agent %s: unknown agent (known: claude; see docs/agents.md)", c.String("agent"))
	}
	top := a.dir
	if r, err := hooks.Open(a.dir); err == nil {
		top = r.Top
	} else if !errors.Is(err, hooks.ErrNotRepo) {
		return "", "", err
	}
	cmd, err = guard.ClaudeCommand(c.Bool("local"))
	return guard.ClaudeSettings(top, c.Bool("local")), cmd, err
}
