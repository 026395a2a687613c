package drafts

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/monoco/courier/delivery/mailbox"
)

// The states of a draft in `courier status`.
const (
	StateUndelivered = "undelivered"
	StateDelivered   = "delivered"
	StateInvalid     = "invalid"
)

// DraftState is one draft of the item in the working tree, as `courier status --json` reports it.
type DraftState struct {
	Draft     string             `json:"draft"`
	State     string             `json:"state"`         // undelivered, delivered or invalid
	Committed bool               `json:"committed"`     // the working-tree version is HEAD's
	IDs       []string           `json:"ids,omitempty"` // delivered: the messages it became
	Errors    []*ValidationError `json:"errors,omitempty"`
}

// Status is the work item's part of `courier status --json` (README.md, "JSON output"); its shape is
// stable.
type Status struct {
	Item     string              `json:"item"`   // "" on a branch that is not a work item's
	Branch   string              `json:"branch"` // "" on a detached HEAD
	Drafts   []DraftState        `json:"drafts"`
	Messages map[string][]string `json:"messages"` // state → message ids, every state present
}

// States classifies every draft of it in the working tree at top against the ledger of mb;
// committed maps the drafts HEAD has to their blob ids. Nothing is written.
func (v *Validator) States(top string, it Item, committed map[string]string, mb *mailbox.Mailbox) ([]DraftState, error) {
	paths, err := Find(top, it)
	if err != nil {
		return nil, err
	}
	out := []DraftState{}
	for _, p := range paths {
		ds := DraftState{Draft: p, State: StateUndelivered}
		in, err := LoadInput(top, top, p)
		var ve *ValidationError
		switch {
		case errors.As(err, &ve):
			ds.State, ds.Errors = StateInvalid, []*ValidationError{ve}
			out = append(out, ds)
			continue
		case err != nil:
			return nil, err
		}
		ds.Committed = committed[p] == in.Blob
		if _, errs := v.Parse(in); len(errs) > 0 {
			ds.State, ds.Errors = StateInvalid, errs
		} else if e, err := mb.Ledger(in.Path, in.Blob); err != nil {
			return nil, err
		} else if e != nil && e.Done {
			ds.State, ds.IDs = StateDelivered, e.IDs
		}
		out = append(out, ds)
	}
	return out, nil
}

// Print writes the status for a person, what is left to do first; states orders the messages.
func (s *Status) Print(w io.Writer, states []string) {
	branch := s.Branch
	if branch == "" {
		branch = "(detached HEAD)"
	}
	if s.Item == "" {
		fmt.Fprintf(w, "branch %s is not a work item's: no drafts to deliver\n", EscapeText(branch))
		return
	}
	fmt.Fprintf(w, "item %s (branch %s)\n", s.Item, EscapeText(branch))
	count := map[string]int{}
	for _, d := range s.Drafts {
		count[d.State]++
	}
	fmt.Fprintf(w, "drafts: %d undelivered, %d invalid, %d delivered\n",
		count[StateUndelivered], count[StateInvalid], count[StateDelivered])
	for _, d := range s.Drafts {
		if d.State == StateDelivered {
			continue
		}
		note := ""
		if !d.Committed && d.State == StateUndelivered {
			note = " (not committed: commit it, or `courier deliver " + d.Draft + "`)"
		}
		fmt.Fprintf(w, "  %-11s %s%s\n", d.State, EscapeText(d.Draft), note)
		for _, e := range d.Errors {
			fmt.Fprintf(w, "    %s\n", EscapeText(e.Error()))
		}
	}
	var parts []string
	for _, st := range states {
		parts = append(parts, fmt.Sprintf("%d %s", len(s.Messages[st]), st))
	}
	fmt.Fprintf(w, "messages: %s\n", strings.Join(parts, ", "))
	for _, st := range states {
		ids := append([]string(nil), s.Messages[st]...)
		sort.Strings(ids)
		for _, id := range ids {
			fmt.Fprintf(w, "  %-11s %s\n", st, id)
		}
	}
}

// EscapeText makes text safe for a terminal: control characters (ESC, CR, BEL, …) are written as Go
// escapes, so nothing from a file name or a message field can move the cursor or retitle the window.
func EscapeText(s string) string {
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
