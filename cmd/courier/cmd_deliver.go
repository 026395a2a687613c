package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/drafts"
)

func (a *app) validateCmd() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "validate drafts (default: the current work item's drafts)",
		ArgsUsage: "[PATH...]",
		Description: "Checks each draft against the draft schema (courier schema) and the semantic rules: provider\n" +
			"configured, email addresses, size limits, schedule_at. Prints one `path:line: field: message` line per\n" +
			"problem and exits 65 if any draft is invalid. Nothing is written.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "item", Usage: "validate the drafts of work item `ID` (e.g. FEAT-0172) instead of the branch's"},
			&cli.BoolFlag{Name: "json", Usage: `print {"valid": [...], "invalid": [...]} on stdout`},
		},
		Action: func(c *cli.Context) error { return a.validate(c.Args().Slice(), c.String("item"), c.Bool("json")) },
	}
}

// validate checks drafts and prints one line per problem (and, with asJSON, the valid drafts and
// the problems as deliver --json reports them).
func (a *app) validate(paths []string, item string, asJSON bool) error {
	if err := a.loadDrafts(item); err != nil {
		return err
	}
	inputs, invalid, err := a.inputs(paths)
	if err != nil {
		return err
	}
	valid, bad := a.validator.Check(inputs)
	res := &drafts.Checked{Valid: valid, Invalid: listed(append(invalid, bad...))}
	var text []string
	if len(res.Invalid) == 0 {
		text = []string{fmt.Sprintf("%d draft(s) valid", len(inputs))}
	}
	return a.outcome(asJSON, res, text, res.Invalid)
}

func (a *app) deliverCmd() *cli.Command {
	return &cli.Command{
		Name:      "deliver",
		Usage:     "validate, stamp and enqueue drafts into the outbound mailbox (exactly once per draft version)",
		ArgsUsage: "[PATH...]",
		Description: "Without PATH, delivers the current work item's drafts (from the branch name, or --item).\n" +
			"A draft version (path + content) already delivered is skipped unless --force. Invalid drafts are\n" +
			"reported one line each and the run exits 65; valid ones are still enqueued.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "validate and stamp, print what would be enqueued, write nothing"},
			&cli.BoolFlag{Name: "force", Usage: "enqueue again even if this draft version was already delivered"},
			&cli.StringFlag{Name: "item", Usage: "deliver the drafts of work item `ID` instead of the branch's"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			return a.deliver(c, drafts.Options{Force: c.Bool("force"), DryRun: c.Bool("dry-run")}, c.String("item"))
		},
	}
}

func (a *app) sendCmd() *cli.Command {
	return &cli.Command{
		Name:      "send",
		Usage:     "deliver exactly one draft file (same ledger as deliver)",
		ArgsUsage: "DRAFT",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "validate and stamp, write nothing"},
			&cli.StringFlag{Name: "provider", Usage: "send through provider `NAME` instead of the draft's"},
			&cli.BoolFlag{Name: "force", Usage: "enqueue again even if this draft version was already delivered"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("send takes exactly one DRAFT (got %d)", c.NArg())
			}
			return a.deliver(c, drafts.Options{Force: c.Bool("force"), DryRun: c.Bool("dry-run"), Provider: c.String("provider")}, "")
		},
	}
}

// deliver runs one delivery over the paths given (c.Args) or the work item's drafts.
func (a *app) deliver(c *cli.Context, o drafts.Options, item string) error {
	if err := a.loadDrafts(item); err != nil {
		return err
	}
	if err := a.checkProvider(o.Provider, true); err != nil {
		return err
	}
	inputs, invalid, err := a.inputs(c.Args().Slice())
	if err != nil {
		return err
	}
	mb, err := a.mailbox(!o.DryRun) // a dry run writes nothing, not even the mailbox layout
	if err != nil {
		return err
	}
	// Each draft is stamped with the work item of its own path; Info.Item covers the rest.
	d := &drafts.Deliverer{Mailbox: mb, Validator: a.validator, Now: a.now, Info: a.info}
	res, err := d.Deliver(c.Context, inputs, o)
	if err != nil {
		return err
	}
	res.Invalid = listed(append(invalid, res.Invalid...))
	text := res.Lines(o.DryRun)
	if c.NArg() == 0 && len(inputs) == 0 && len(invalid) == 0 && a.info.Item.ID != "" {
		text = append(text, fmt.Sprintf("no drafts in %s", a.info.Item.Dir))
	}
	return a.outcome(c.Bool("json"), res, text, res.Invalid)
}

// inputs loads explicit paths, or the work item's drafts when none are given. On a branch that is not
// a work item's, with no paths, there is nothing to look at: it says so on stderr and returns nothing.
func (a *app) inputs(paths []string) ([]drafts.Input, []*drafts.ValidationError, error) {
	if len(paths) == 0 && a.info.Item.ID == "" {
		a.warn("branch %q is not a work-item branch (e.g. FEAT-0172-slug): no drafts to look at; name drafts explicitly or use --item", a.info.Branch)
		return nil, nil, nil
	}
	return drafts.LoadItem(a.repo.Top, a.dir, a.info.Item, paths, a.repo.HashBlobs)
}

// outcome prints a run of validate or deliver: res as JSON (asJSON) or the text lines on stdout, then
// the problems of the invalid drafts on stderr; any of them exits 65.
func (a *app) outcome(asJSON bool, res any, text []string, invalid []*drafts.ValidationError) (err error) {
	if asJSON {
		err = writeJSON(a.stdout, res)
	} else {
		a.printLines(text, nil)
	}
	drafts.PrintErrors(a.stderr, invalid)
	if err == nil && len(invalid) > 0 {
		return silent(exitInvalid)
	}
	return err
}

// listed is errs, or an empty list for none: --json prints [] (README.md, "JSON output").
func listed(errs []*drafts.ValidationError) []*drafts.ValidationError {
	if errs == nil {
		return []*drafts.ValidationError{}
	}
	return errs
}

// checkProvider checks a --provider: known, and with configured also configured (a usage error).
func (a *app) checkProvider(name string, configured bool) error {
	if err := a.cfg.CheckProvider(name, configured); err != nil {
		return usageErrorf("--provider: %v", err)
	}
	return nil
}

// printJSON prints v as JSON on stdout, unless err.
func (a *app) printJSON(v any, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(a.stdout, v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
