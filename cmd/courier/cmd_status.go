package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/hooks"
)

// statusReport is `courier status --json` (README.md, "JSON output"); its shape is stable.
type statusReport struct {
	Item     string              `json:"item"`   // "" on a branch that is not a work item's
	Branch   string              `json:"branch"` // "" on a detached HEAD
	Drafts   []draftStatus       `json:"drafts"`
	Messages map[string][]string `json:"messages"` // state → message ids, every state present
	Hooks    hooks.StatusJSON    `json:"hooks"`
}

// draftStatus is one draft of the item in the working tree.
type draftStatus struct {
	Draft     string                    `json:"draft"`
	State     string                    `json:"state"`         // undelivered, delivered or invalid
	Committed bool                      `json:"committed"`     // the working-tree version is HEAD's
	IDs       []string                  `json:"ids,omitempty"` // delivered: the messages it became
	Errors    []*drafts.ValidationError `json:"errors,omitempty"`
}

// The states of a draft in `courier status`.
const (
	draftUndelivered = "undelivered"
	draftDelivered   = "delivered"
	draftInvalid     = "invalid"
)

func (a *app) statusCmd() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "the current work item's undelivered drafts, its messages by state, and the hooks' state",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the report as JSON on stdout"}},
		Action: func(c *cli.Context) error {
			rep, err := a.status()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(a.stdout, rep)
			}
			printStatus(a.stdout, rep)
			return nil
		},
	}
}

// status gathers the report; it writes nothing (the mailbox is only read).
func (a *app) status() (*statusReport, error) {
	if err := a.loadDrafts(""); err != nil {
		return nil, err
	}
	rep := &statusReport{Item: a.info.Item.ID, Branch: a.info.Branch, Drafts: []draftStatus{}, Messages: map[string][]string{}}
	for _, s := range queueStates {
		rep.Messages[s] = []string{}
	}
	st, err := hooks.Status(a.repo)
	if err != nil {
		return nil, err
	}
	rep.Hooks = st.JSON()
	if rep.Item == "" {
		return rep, nil
	}
	mb, err := a.openMailbox(false) // only read: no layout is created
	if err != nil {
		return nil, err
	}
	if rep.Drafts, err = a.draftStates(mb); err != nil {
		return nil, err
	}
	items, err := delivery.ListQueue(mb, delivery.QueueFilter{All: true})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if m, err := mailbox.Read(it.Path); err == nil && m.Source != nil && m.Source.Item == rep.Item {
			rep.Messages[it.State] = append(rep.Messages[it.State], it.ID)
		}
	}
	return rep, nil
}

// draftStates classifies every draft of the item in the working tree against the ledger.
func (a *app) draftStates(mb *mailbox.Mailbox) ([]draftStatus, error) {
	paths, err := drafts.Find(a.repo.Top, a.info.Item)
	if err != nil {
		return nil, err
	}
	committed, err := hooks.TreeBlobs(a.repo, "HEAD", a.info.Item.Dir)
	if err != nil {
		return nil, err
	}
	out := []draftStatus{}
	for _, p := range paths {
		ds := draftStatus{Draft: p, State: draftUndelivered}
		in, err := drafts.LoadInput(a.repo.Top, a.repo.Top, p)
		var ve *drafts.ValidationError
		switch {
		case errors.As(err, &ve):
			ds.State, ds.Errors = draftInvalid, []*drafts.ValidationError{ve}
			out = append(out, ds)
			continue
		case err != nil:
			return nil, err
		}
		ds.Committed = committed[p] == in.Blob
		if _, errs := a.validator.Parse(in); len(errs) > 0 {
			ds.State, ds.Errors = draftInvalid, errs
		} else if e, err := mb.Ledger(in.Path, in.Blob); err != nil {
			return nil, err
		} else if e != nil && e.Done {
			ds.State, ds.IDs = draftDelivered, e.IDs
		}
		out = append(out, ds)
	}
	return out, nil
}

// printStatus prints the report for a person: what is left to do first.
func printStatus(w io.Writer, rep *statusReport) {
	branch := rep.Branch
	if branch == "" {
		branch = "(detached HEAD)"
	}
	if rep.Item == "" {
		fmt.Fprintf(w, "branch %s is not a work item's: no drafts to deliver\n", escapeText(branch))
	} else {
		fmt.Fprintf(w, "item %s (branch %s)\n", rep.Item, escapeText(branch))
		count := map[string]int{}
		for _, d := range rep.Drafts {
			count[d.State]++
		}
		fmt.Fprintf(w, "drafts: %d undelivered, %d invalid, %d delivered\n",
			count[draftUndelivered], count[draftInvalid], count[draftDelivered])
		for _, d := range rep.Drafts {
			if d.State == draftDelivered {
				continue
			}
			note := ""
			if !d.Committed && d.State == draftUndelivered {
				note = " (not committed: commit it, or `courier deliver " + d.Draft + "`)"
			}
			fmt.Fprintf(w, "  %-11s %s%s\n", d.State, escapeText(d.Draft), note)
			for _, e := range d.Errors {
				fmt.Fprintf(w, "    %s\n", escapeText(e.Error()))
			}
		}
		var parts []string
		for _, s := range queueStates {
			parts = append(parts, fmt.Sprintf("%d %s", len(rep.Messages[s]), s))
		}
		fmt.Fprintf(w, "messages: %s\n", strings.Join(parts, ", "))
		for _, s := range queueStates {
			ids := append([]string(nil), rep.Messages[s]...)
			sort.Strings(ids)
			for _, id := range ids {
				fmt.Fprintf(w, "  %-11s %s\n", s, id)
			}
		}
	}
	switch h := rep.Hooks; {
	case h.Installed && h.Current:
		fmt.Fprintln(w, "hooks: installed and current")
	case h.Installed:
		fmt.Fprintln(w, "hooks: installed, not current (see `courier hooks status`)")
	default:
		fmt.Fprintln(w, "hooks: not installed: drafts are neither checked nor delivered on commit (run `courier hooks install`)")
	}
	for _, warn := range rep.Hooks.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", escapeText(warn))
	}
}

// escapeText makes text safe for a terminal: control characters (ESC, CR, BEL, …) are written as Go
// escapes, so nothing from a file name or a message field can move the cursor or retitle the window.
func escapeText(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
