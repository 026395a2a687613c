package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/config"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/hooks"
)

// app is one invocation, the one context every command works in: the outside world (tests inject
// their own), the global flags, and what the command loads: the repository and configuration (load),
// then the branch, its work item and the validator (loadDrafts).
type app struct {
	getenv     func(string) string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	now        func() time.Time
	dir        string // working directory after -C; relative draft paths start here
	configFlag string

	repo      *hooks.Repo // nil outside a git repository
	root      string      // main worktree root (or dir outside a repository)
	cfg       *config.Config
	info      drafts.StampInfo // branch, HEAD commit and work item (Item.ID "" when there is none)
	validator *drafts.Validator
	fetch     func(context.Context) (delivered, invalid int, err error) // central mode's fetch, for the API
}

// run is the whole CLI: it never calls os.Exit and turns every error into an exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "courier: internal error: %v\n", r)
			code = exitFailure
		}
	}()
	a := &app{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	cliApp, ordered := a.cli(), args
	var err error
	if len(args) < 2 || args[len(args)-1] != "--generate-bash-completion" { // urfave/cli's completion protocol
		ordered, err = reorder(cliApp, args)
	}
	if err == nil {
		err = cliApp.RunContext(ctx, ordered)
	}
	return report(err, stderr)
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
			&cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version (as courier version)"},
		},
		EnableBashCompletion: true,
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				return a.printVersion()
			}
			return cli.ShowAppHelp(c)
		},
		Before: a.globals,
		Commands: []*cli.Command{a.statusCmd(), a.initCmd(), a.hooksCmd(), a.validateCmd(), a.deliverCmd(),
			a.sendCmd(), a.watchCmd(), a.queueCmd(), a.retryCmd(), a.showCmd(), a.draftCmd(), a.schemaCmd(),
			a.demoCmd(), a.versionCmd(), a.guardCmd(), a.completionCmd()},
		Writer:         a.stdout,
		ErrWriter:      a.stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   func(_ *cli.Context, err error, _ bool) error { return usageErrorf("%v", err) },
		CommandNotFound: func(c *cli.Context, name string) {
			a.warn("unknown command %q (see courier --help)", name)
		},
	}
	setOnUsage(app.Commands, app.OnUsageError)
	return app
}

// globals reads the global flags: -C (relative to the working directory) and --config.
func (a *app) globals(c *cli.Context) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	a.dir, a.configFlag = wd, c.String("config")
	if d := c.String("C"); d != "" {
		if a.dir = absFrom(wd, d); !isDir(a.dir) {
			return usageErrorf("-C %s: not a directory", d)
		}
	}
	return nil
}

// setOnUsage gives every command the App's handler for usage errors: the App's covers only global
// flags, and without one of its own a command prints its whole help to stdout on a bad flag value
// and exits 1 (this way: one line, exit 2).
func setOnUsage(cmds []*cli.Command, h cli.OnUsageErrorFunc) {
	for _, c := range cmds {
		c.OnUsageError = h
		setOnUsage(c.Subcommands, h)
	}
}

// openRepo opens the repository at a.dir; outside one, the error says what to do (hint).
func (a *app) openRepo(hint string) (*hooks.Repo, error) {
	r, err := hooks.Open(a.dir)
	if errors.Is(err, hooks.ErrNotRepo) {
		return nil, fmt.Errorf("%s is not a git repository (%s, or use -C DIR)", a.dir, hint)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", a.dir, err)
	}
	return r, nil
}

// load reads the configuration, in the repository at a.dir if there is one (else a.repo is nil).
func (a *app) load() error {
	r, _ := hooks.Open(a.dir)
	return a.loadIn(r)
}

// loadIn reads the configuration for an already opened repository (nil: none).
func (a *app) loadIn(r *hooks.Repo) error {
	a.repo, a.root = r, a.dir
	if r != nil {
		a.root = r.MainWorktree
	}
	cfg, err := config.Open(a.configFlag, a.getenv, a.root, a.dir, registry())
	if a.cfg = cfg; err != nil {
		return configErrorf("%v", err)
	}
	return nil
}

// loadDrafts opens the repository (an error outside one), reads the configuration and the branch,
// and builds the validator. itemFlag overrides the branch's work item.
func (a *app) loadDrafts(itemFlag string) error {
	r, err := a.openRepo("run courier inside one")
	if err == nil {
		err = a.loadIn(r)
	}
	if err != nil {
		return err
	}
	return a.readBranch(itemFlag)
}

// readBranch reads HEAD, the work item (of itemFlag, else of the branch) and builds the validator.
func (a *app) readBranch(itemFlag string) error {
	var err error
	if a.info.Branch, a.info.Commit, err = a.repo.Head(); err != nil {
		return err
	}
	if itemFlag == "" {
		a.info.Item, _ = drafts.ItemForBranch(a.info.Branch, a.cfg.Patterns())
	} else if a.info.Item, _ = drafts.ItemForBranch(itemFlag, a.cfg.Patterns()); a.info.Item.ID == "" {
		return usageErrorf("--item %s: not a work item id (want e.g. FEAT-0172)", itemFlag)
	}
	a.validator, err = drafts.NewValidator(a.cfg.ForDrafts())
	return err
}

// mailbox opens the configured mailbox, creating its layout only for a command that writes to it
// (config.OpenMailbox).
func (a *app) mailbox(write bool) (*mailbox.Mailbox, error) {
	commonDir := ""
	if a.repo != nil {
		commonDir = a.repo.CommonDir
	}
	return a.cfg.OpenMailbox(write, commonDir, func(dir string) string {
		if r, err := hooks.Open(dir); err == nil {
			return r.CommonDir
		}
		return ""
	})
}

// openMailbox loads the configuration (a repository is not required) and opens the mailbox.
func (a *app) openMailbox(write bool) (*mailbox.Mailbox, error) {
	if err := a.load(); err != nil {
		return nil, err
	}
	return a.mailbox(write)
}
