package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
				Name:  "install",
				Usage: "add the guard's PreToolUse hook to the agent's project settings (other settings and hooks are kept)",
				Flags: []cli.Flag{agentFlag, localFlag},
				Action: func(c *cli.Context) error {
					path, cmd, err := a.guardSettings(c)
					if err != nil {
						return err
					}
					changed, err := guard.ClaudeInstall(path, cmd)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s: %s runs `%s` before %s\n", relPath(a.dir, path),
						map[bool]string{true: "installed:", false: "already installed:"}[changed], cmd, strings.ReplaceAll(guard.ClaudeMatcher, "|", ", "))
					return nil
				},
			},
			{
				Name:  "uninstall",
				Usage: "remove the guard's hook from the agent's settings (only its own entry)",
				Flags: []cli.Flag{agentFlag, localFlag},
				Action: func(c *cli.Context) error {
					path, _, err := a.guardSettings(c)
					if err != nil {
						return err
					}
					changed, err := guard.ClaudeUninstall(path)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s: %s\n", relPath(a.dir, path), map[bool]string{true: "guard removed", false: "no guard installed"}[changed])
					return nil
				},
			},
			{
				Name:  "status",
				Usage: "show where the guard is installed, whether it is current, and what it protects",
				Flags: []cli.Flag{agentFlag},
				Action: func(c *cli.Context) error {
					if c.String("agent") != "claude" {
						return usageErrorf("--agent %s: unknown agent (known: claude)", c.String("agent"))
					}
					g, top, note := a.guardFor(a.dir)
					for _, local := range []bool{false, true} {
						cmd, err := guardHookCommand(local)
						if err != nil {
							return err
						}
						path := guard.ClaudeSettings(top, local)
						st, err := guard.ClaudeStatus(path, cmd)
						if err != nil {
							return err
						}
						switch {
						case !st.Installed:
							fmt.Fprintf(a.stdout, "%s: not installed\n", relPath(a.dir, path))
						case st.Current:
							fmt.Fprintf(a.stdout, "%s: installed, current (`%s` before %s)\n", relPath(a.dir, path), st.Command, st.Matcher)
						default:
							fmt.Fprintf(a.stdout, "%s: installed, not current (`%s` before %s; courier guard install%s updates it)\n",
								relPath(a.dir, path), st.Command, st.Matcher, map[bool]string{true: " --local"}[local])
						}
					}
					for _, p := range g.Protected() {
						fmt.Fprintf(a.stdout, "protects %s\n", p)
					}
					if note != "" {
						fmt.Fprintf(a.stderr, "courier: guard: %s\n", note)
					}
					return nil
				},
			},
		},
	}
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
		if n != "" {
			fmt.Fprintf(a.stderr, "courier: guard: %s\n", n)
		}
		d = g.CheckPath(p, a.dir, c.Bool("write"))
	} else {
		data, err := io.ReadAll(io.LimitReader(a.stdin, maxEvent))
		if err != nil {
			fmt.Fprintf(a.stderr, "courier: guard: no objection: read the event: %v\n", err)
			return nil
		}
		var ev struct {
			Cwd string `json:"cwd"`
		}
		dir := a.dir
		if json.Unmarshal(data, &ev) == nil && filepath.IsAbs(ev.Cwd) && isDirectory(ev.Cwd) {
			dir = ev.Cwd
		}
		g, _, n := a.guardFor(dir)
		if n != "" {
			fmt.Fprintf(a.stderr, "courier: guard: %s\n", n)
		}
		d, note = g.Check(data, dir)
	}
	if note != nil && !d.Deny {
		fmt.Fprintf(a.stderr, "courier: guard: no objection: %v\n", note)
	}
	if !d.Deny {
		return nil
	}
	if c.Bool("json") {
		out := map[string]any{"hookSpecificOutput": map[string]string{"hookEventName": "PreToolUse",
			"permissionDecision": "deny", "permissionDecisionReason": d.Reason}}
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	fmt.Fprintln(a.stderr, d.Reason)
	return silent(exitUsage) // 2: the exit code that makes Claude Code deny the call
}

// guardFor builds the guard for the repository containing dir. Its own trouble (no repository, a
// broken configuration) is a note, and the guard then protects the default places it can still find.
func (a *app) guardFor(dir string) (g *guard.Guard, top, note string) {
	l := guard.Layout{Root: dir, Getenv: a.getenv}
	var notes []string
	var r *hooks.Repo
	if d, ok := guard.Discover(dir, a.getenv); ok {
		r = &hooks.Repo{Top: d.Top, GitDir: d.GitDir, CommonDir: d.CommonDir, MainWorktree: d.MainWorktree, HooksDir: d.HooksDir}
	} else if o, err := hooks.Open(dir); err == nil {
		r = o
	} else {
		notes = append(notes, err.Error())
	}
	top = dir
	if r != nil {
		top = r.Top
		l.Root, l.CommonDir, l.HooksDir = r.MainWorktree, r.CommonDir, r.HooksDir
	}
	l.Mailbox = filepath.Join(l.Root, ".monoco", "mailbox")
	l.ConfigFile, _ = config.File(a.configFlag, a.getenv, l.Root, a.dir)
	ws := &app{getenv: a.getenv, stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, now: a.now, dir: dir, configFlag: a.configFlag}
	if err := ws.loadIn(r); err != nil {
		notes = append(notes, strings.ReplaceAll(err.Error(), "\n", "; ")+" (protecting the defaults)")
	} else {
		l.Mailbox = ws.cfg.mailboxDir()
		l.Protect = ws.cfg.Guard.Protect
		if r != nil {
			if branch := headBranch(r.GitDir); branch != "" {
				if it, ok := drafts.ItemForBranch(branch, ws.cfg.patterns()); ok {
					l.DraftsDir = it.Dir
				}
			}
		}
	}
	g, err := guard.New(l)
	if err != nil {
		notes = append(notes, err.Error()+" (protecting everything)")
		l.Protect = nil
		g, _ = guard.New(l)
	}
	return g, top, strings.Join(notes, "; ")
}

// headBranch reads the branch HEAD names in a git dir ("" when detached or unreadable). Reading the
// file costs less than a git subprocess on a path that runs before every tool call.
func headBranch(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	ref, ok := bytes.CutPrefix(bytes.TrimSpace(b), []byte("ref: refs/heads/"))
	if !ok {
		return ""
	}
	return string(ref)
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
	cmd, err = guardHookCommand(c.Bool("local"))
	return guard.ClaudeSettings(top, c.Bool("local")), cmd, err
}

// guardHookCommand: the shared settings run `courier` from PATH (a path on one machine means nothing
// on another); the local settings record this binary's absolute path.
func guardHookCommand(local bool) (string, error) {
	if !local {
		return guard.HookCommand(""), nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the courier binary: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return guard.HookCommand(exe), nil
}

func isDirectory(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
