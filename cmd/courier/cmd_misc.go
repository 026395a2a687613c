package main

import (
	"embed"
	"fmt"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/drafts"
)

// Set at build time by install.sh: -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

func (a *app) versionCmd() *cli.Command {
	return &cli.Command{
		Name:   "version",
		Usage:  "print version, commit and Go version",
		Action: func(*cli.Context) error { return a.printVersion() },
	}
}

func (a *app) printVersion() error {
	_, err := fmt.Fprintf(a.stdout, "courier %s (commit %s, %s)\n", version, commit, runtime.Version())
	return err
}

//go:embed completion/bash completion/zsh
var completionScripts embed.FS

// completionCmd prints urfave/cli's own completion scripts: its bash and zsh scripts (copied from
// its autocomplete directory, which asks the binary via --generate-bash-completion) and its fish
// generator.
func (a *app) completionCmd() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "SHELL",
		Action: func(c *cli.Context) error {
			var script string
			var err error
			switch sh := c.Args().First(); sh {
			case "bash", "zsh":
				var b []byte
				b, err = completionScripts.ReadFile("completion/" + sh)
				script = strings.ReplaceAll(string(b), "$PROG", "courier")
			case "fish":
				script, err = c.App.ToFishCompletion()
			default:
				return usageErrorf("completion %q: want bash, zsh or fish", sh)
			}
			_, _ = fmt.Fprint(a.stdout, script)
			return err
		},
	}
}

func (a *app) schemaCmd() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the draft JSON Schema",
		Action: func(*cli.Context) error {
			_, err := a.stdout.Write(drafts.Schema())
			return err
		},
	}
}

func (a *app) draftCmd() *cli.Command {
	return &cli.Command{
		Name:  "draft",
		Usage: "create drafts",
		Subcommands: []*cli.Command{{
			Name:      "new",
			Usage:     "write a new draft in the current work item's drafts directory",
			ArgsUsage: "[NAME]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "template", Aliases: []string{"t"}, Value: "notify",
					Usage: "template `T`: " + strings.Join(drafts.Templates(), ", ")},
				&cli.StringFlag{Name: "provider", Usage: "provider `P` (default: file; email for the email template)"},
				&cli.StringFlag{Name: "to", Usage: "recipient `X`: channel alias, chat id or email address"},
				&cli.StringFlag{Name: "item", Usage: "work item `ID` instead of the branch's"},
			},
			Action: a.draftNew,
		}},
	}
}

func (a *app) draftNew(c *cli.Context) error {
	if tpl := c.String("template"); !contains(drafts.Templates(), tpl) {
		return usageErrorf("--template %s: unknown (have %s)", tpl, strings.Join(drafts.Templates(), ", "))
	}
	if err := a.loadDrafts(c.String("item")); err != nil {
		return err
	} else if a.info.Item.ID == "" {
		return fmt.Errorf("branch %q is not a work-item branch; use --item", a.info.Branch)
	} else if err := a.checkProvider(c.String("provider"), false); err != nil {
		return err
	}
	rel, provider, err := drafts.New(a.repo.Top, a.info.Item, drafts.NewDraft{Template: c.String("template"),
		Name: c.Args().First(), Provider: c.String("provider"), To: c.String("to"), Now: a.now()})
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, rel)
	a.warn("%s", drafts.NewNote(rel, c.String("to") != ""))
	if note := a.cfg.UnconfiguredNote(provider); note != "" {
		a.warn("%s", note)
	}
	return nil
}
