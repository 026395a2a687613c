package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/guard"
	"github.com/monoco/courier/hooks"
)

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
	g, top, note := guard.ForDir(a.dir, a.dir, a.configFlag, a.getenv)
	lines, err := guard.ClaudeReport(top, a.dir)
	if err != nil {
		return err
	}
	for _, p := range g.Protected() {
		lines = append(lines, "protects "+p)
	}
	if note != "" {
		a.warn("guard: %s", note)
	}
	return a.printLines(lines, nil)
}

// guardCheck answers one event (or --path) as `courier-guard` does (guard.RunCheck).
func (a *app) guardCheck(c *cli.Context) error {
	code := guard.RunCheck(guard.CheckOptions{Dir: a.dir, ConfigFlag: a.configFlag, Path: c.String("path"),
		Write: c.Bool("write"), JSON: c.Bool("json"), Getenv: a.getenv, Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr})
	if code != 0 {
		return silent(code) // 2 (guard.ExitDeny): the exit code that makes Claude Code deny the call
	}
	return nil
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
