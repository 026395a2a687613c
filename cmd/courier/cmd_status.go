package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/central"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/hooks"
)

// statusReport is `courier status --json` (README.md, "JSON output"); its shape is stable.
type statusReport struct {
	*drafts.Status
	Hooks hooks.StatusJSON `json:"hooks"`
	// Invalid lists the invalid draft versions central mode found on remote branches, whatever branch
	// this clone is on (README.md, "Central mode").
	Invalid []central.InvalidVersion `json:"invalid"`
}

func (a *app) statusCmd() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "the current work item's undelivered drafts, its messages by state, and the hooks' state",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the report as JSON on stdout"}},
		Action: func(c *cli.Context) error {
			rep, err := a.status()
			if err != nil || c.Bool("json") {
				return a.printJSON(rep, err)
			}
			rep.Print(a.stdout, delivery.States())
			for _, l := range rep.Hooks.Summary() {
				fmt.Fprintln(a.stdout, drafts.EscapeText(l))
			}
			return nil
		},
	}
}

// status gathers the report; it writes nothing (the mailbox is only read, no layout is created).
func (a *app) status() (*statusReport, error) {
	if err := a.loadDrafts(""); err != nil {
		return nil, err
	}
	st, err := hooks.StatusFor(a.repo, a.hookPathspecs(a.repo))
	if err != nil {
		return nil, err
	}
	rep := &statusReport{Status: &drafts.Status{Item: a.info.Item.ID, Branch: a.info.Branch, Drafts: []drafts.DraftState{},
		Messages: map[string][]string{}}, Hooks: st.JSON()}
	for _, s := range delivery.States() {
		rep.Messages[s] = []string{}
	}
	mb, err := a.mailbox(false)
	if err == nil {
		rep.Invalid, err = central.Invalid(central.StateBase(mb))
	}
	if err != nil || rep.Item == "" {
		return rep, err
	}
	committed, err := hooks.TreeBlobs(a.repo, "HEAD", a.info.Item.Dir)
	if err == nil {
		rep.Drafts, err = a.validator.States(a.repo.Top, a.info.Item, committed, mb)
	}
	if err == nil {
		rep.Messages, err = delivery.ItemMessages(mb, rep.Item)
	}
	return rep, err
}
