package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/hooks"
)

// env is everything a command may touch of the outside world; tests inject their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
}

// app is one invocation: the environment plus the global flags.
type app struct {
	env
	dir        string // working directory after -C
	configFlag string
}

// run is the whole CLI: it never calls os.Exit and turns every error into an exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "courier: internal error: %v\n", r)
			code = exitFailure
		}
	}()
	a := &app{env: env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}}
	cliApp := a.cli()
	ordered, err := reorder(cliApp, args)
	if err != nil {
		return report(err, stderr)
	}
	return report(cliApp.RunContext(ctx, ordered), stderr)
}

func (a *app) cli() *cli.App {
	app := &cli.App{
		Name:  "courier",
		Usage: "validate, stamp and deliver message drafts from git; send them safely",
		Description: "Drafts on a work-item branch (Issues/<Kind>/work/<ITEM>/drafts/*.md) are validated, stamped and\n" +
			"enqueued into the protected mailbox (.monoco/mailbox/outbound/<provider>/); `courier watch` sends them.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "C", Usage: "run as if courier was started in `DIR`"},
			&cli.StringFlag{Name: "config", Usage: "configuration `FILE` (default: .monoco/courier.yaml of the main worktree; also $COURIER_CONFIG)"},
		},
		Before: func(c *cli.Context) error {
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			a.dir = wd
			if d := c.String("C"); d != "" {
				a.dir = absFrom(wd, d)
				if st, err := os.Stat(a.dir); err != nil || !st.IsDir() {
					return usageErrorf("-C %s: not a directory", d)
				}
			}
			a.configFlag = c.String("config")
			return nil
		},
		Commands: []*cli.Command{
			a.initCmd(), a.hooksCmd(), a.validateCmd(), a.deliverCmd(), a.sendCmd(), a.watchCmd(),
			a.queueCmd(), a.retryCmd(), a.showCmd(), a.draftCmd(), a.schemaCmd(), a.demoCmd(), a.versionCmd(),
			a.guardCmd(),
		},
		Writer:         a.stdout,
		ErrWriter:      a.stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageErrorf("%v", err)
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(a.stderr, "courier: unknown command %q (see courier --help)\n", name)
		},
	}
	// The App's OnUsageError covers only global flags: without one of its own, a command prints its
	// whole help to stdout on a bad flag value and exits 1. Every command gets the same handler (exit 2).
	var onUsage func([]*cli.Command)
	onUsage = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.OnUsageError = app.OnUsageError
			onUsage(c.Subcommands)
		}
	}
	onUsage(app.Commands)
	return app
}

// workspace is the repository context most commands need.
type workspace struct {
	repo *hooks.Repo // nil outside a git repository
	root string      // main worktree root (or the working directory outside a repository)
	cfg  *Config
}

// workspace locates the repository and loads the configuration.
func (a *app) workspace(needRepo bool) (*workspace, error) {
	r, err := hooks.Open(a.dir)
	if err != nil && needRepo {
		return nil, fmt.Errorf("%s: %w", a.dir, err)
	}
	return a.workspaceIn(r)
}

// workspaceIn loads the configuration for an already opened repository (nil: none).
func (a *app) workspaceIn(r *hooks.Repo) (*workspace, error) {
	w := &workspace{root: a.dir}
	if r != nil {
		w.repo, w.root = r, r.MainWorktree
	}
	path, explicit := configFile(a.configFlag, a.getenv, w.root, a.dir)
	cfg, err := loadConfig(path, explicit, w.root, a.getenv)
	if err != nil {
		return nil, err
	}
	w.cfg = cfg
	return w, nil
}

// mailbox opens (creating if needed) the configured mailbox.
func (w *workspace) mailbox() (*mailbox.Mailbox, error) {
	return mailbox.Open(w.cfg.mailboxDir())
}

// readMailbox is the configured mailbox for commands that only read it (queue, show, deliver
// --dry-run): its layout is not created, and a missing mailbox reads as an empty one.
func (w *workspace) readMailbox() *mailbox.Mailbox {
	return &mailbox.Mailbox{Root: w.cfg.mailboxDir()}
}

// reorder moves every flag before the positional arguments of its command, because urfave/cli v2
// stops parsing flags at the first positional argument (`courier send d.md --dry-run` must be a dry
// run). Global flags (-C, --config) may appear anywhere. An unknown flag is a usage error.
func reorder(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	global := flagArity(app.Flags)
	var globals, cmdPath, flags, positional []string
	var cmdFlags map[string]bool
	var cmd *cli.Command
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		tok := rest[i]
		if tok == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if strings.HasPrefix(tok, "-") && len(tok) > 1 {
			name, hasValue := flagName(tok)
			dst := &flags
			takes, ok := global[name]
			if ok {
				dst = &globals
			} else if cmd != nil {
				takes, ok = cmdFlags[name]
			}
			if !ok {
				if name == "h" || name == "help" || (cmd == nil && (name == "v" || name == "version")) {
					*dst = append(*dst, tok)
					continue
				}
				if cmd == nil {
					return nil, usageErrorf("unknown flag %s (see courier --help)", tok)
				}
				return nil, usageErrorf("unknown flag %s for courier %s (see courier %s --help)", tok,
					strings.Join(cmdPath, " "), strings.Join(cmdPath, " "))
			}
			*dst = append(*dst, tok)
			if takes && !hasValue {
				if i+1 >= len(rest) {
					return nil, usageErrorf("flag %s needs a value", tok)
				}
				i++
				*dst = append(*dst, rest[i])
			}
			continue
		}
		// A positional: the command or subcommand name while one is expected, else an argument.
		var subs []*cli.Command
		if cmd == nil {
			subs = app.Commands
		} else if len(cmd.Subcommands) > 0 && len(positional) == 0 {
			subs = cmd.Subcommands
		}
		if subs != nil {
			next := findCommand(subs, tok)
			if next == nil && (tok == "help" || tok == "h") {
				return args, nil // `courier help [COMMAND]`: urfave/cli's own help command
			}
			if next == nil {
				return nil, usageErrorf("unknown command %q (see courier %s--help)", tok,
					strings.Join(append(cmdPath, ""), " "))
			}
			cmd, cmdFlags = next, flagArity(next.Flags)
			cmdPath = append(cmdPath, tok)
			flags = append(flags, "\x00") // marks where this level's name goes
			continue
		}
		positional = append(positional, tok)
	}
	out := append([]string{args[0]}, globals...)
	// Rebuild: each command name followed by the flags that came after it.
	level := 0
	var pending []string
	for _, f := range flags {
		if f == "\x00" {
			out = append(out, pending...)
			pending = nil
			out = append(out, cmdPath[level])
			level++
			continue
		}
		pending = append(pending, f)
	}
	out = append(out, pending...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out, nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// flagArity maps every flag name to whether it takes a value.
func flagArity(fs []cli.Flag) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			m[n] = !isBool
		}
	}
	return m
}

// flagName returns the flag's name without dashes and whether the token carries =value.
func flagName(tok string) (string, bool) {
	name := strings.TrimLeft(tok, "-")
	if n, _, ok := strings.Cut(name, "="); ok {
		return n, true
	}
	return name, false
}
