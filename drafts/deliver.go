package drafts

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Options change how Deliver works.
type Options struct {
	Force    bool   // deliver again even when the ledger says this draft version was delivered (new ids)
	DryRun   bool   // validate and stamp, report what would be delivered, write nothing
	Provider string // replaces every draft's provider (`courier send --provider`)
}

// Delivered is one message enqueued (or, in a dry run, that would be).
type Delivered struct {
	Draft         string `json:"draft"` // repository-relative draft path
	ID            string `json:"id"`
	Provider      string `json:"provider"`
	CorrelationID string `json:"correlation_id"`
	Path          string `json:"path"` // absolute path of the message file in outbound/{provider}/
}

// Skipped is a valid draft that was not delivered, and why.
type Skipped struct {
	Draft  string `json:"draft"`
	Reason string `json:"reason"`
}

// Result is what a Deliver run did: the `courier deliver --json` object (README.md, "Commands").
type Result struct {
	Delivered []Delivered        `json:"delivered"`
	Skipped   []Skipped          `json:"skipped"`
	Invalid   []*ValidationError `json:"invalid"`
}

// Deliverer validates, stamps and enqueues drafts into one mailbox, exactly once per draft version.
type Deliverer struct {
	Mailbox   *mailbox.Mailbox
	Validator *Validator
	Now       func() time.Time // nil means time.Now
	Info      StampInfo
}

// Deliver validates every input and enqueues each valid, not yet delivered one, in path order. An
// invalid draft is reported in Result.Invalid and never enqueued; the others are delivered all the
// same. The error is only for I/O failures (and a cancelled ctx, checked between phases); the Result
// then holds what was done before it.
//
// Exactly once, under the mailbox's delivery lock: a draft version (path + blob id) whose ledger
// entry is done is skipped (unless o.Force); an entry left as an intent by a crashed run is completed
// by enqueueing only the recorded files that are nowhere in the mailbox, under their recorded names
// (when none of them reached the mailbox, the draft is stamped again with this run's times under the
// recorded ids, so drafts keep their path order); any other draft is stamped and its intent recorded. Only when every intent is durable are the
// messages enqueued (in path order), and only then are the entries marked done. A crash at any point
// leaves each draft either enqueued or recoverable by the next run.
func (d *Deliverer) Deliver(ctx context.Context, inputs []Input, o Options) (*Result, error) {
	res := &Result{Delivered: []Delivered{}, Skipped: []Skipped{}, Invalid: []*ValidationError{}}
	ins := append([]Input(nil), inputs...)
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].Path < ins[j].Path })
	var valid []*Draft
	seen := map[[2]string]bool{} // a draft version named twice in one run (d.md ./d.md) is delivered once
	for _, in := range ins {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		k := [2]string{in.Path, in.blob()}
		if seen[k] {
			continue
		}
		seen[k] = true
		dr, errs := d.Validator.ParseAs(in, o.Provider)
		if len(errs) > 0 {
			res.Invalid = append(res.Invalid, errs...)
			continue
		}
		valid = append(valid, dr)
	}
	if len(valid) == 0 {
		return res, nil
	}
	if !o.DryRun {
		unlock, err := d.Mailbox.LockDeliver()
		if err != nil {
			return res, err
		}
		defer unlock()
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	st := &stamper{mb: d.Mailbox, patterns: d.Validator.cfg.Patterns, providers: d.Validator.cfg.Providers, info: d.Info}
	var plans []*plan
	for _, dr := range valid {
		p, err := d.plan(st, dr, now, o, res)
		if err != nil {
			return res, fmt.Errorf("deliver %s: %w", dr.Path, err)
		}
		if p != nil {
			plans = append(plans, p)
		}
	}
	if o.DryRun {
		for _, p := range plans {
			for _, m := range p.write {
				res.Delivered = append(res.Delivered, delivered(p.dr, m, filepath.Join(d.Mailbox.Dir(mailbox.Outbound, m.Provider), mailbox.FileName(m))))
			}
		}
		return res, nil
	}
	return res, d.execute(ctx, plans, res)
}

// plan is what one run does with one draft version.
type plan struct {
	dr    *Draft
	entry *mailbox.LedgerEntry
	fresh bool               // the intent is not yet recorded
	write []*mailbox.Message // the messages to enqueue
}

// plan decides about one draft: skip it (reported in res), complete an interrupted delivery, or
// stamp it afresh.
func (d *Deliverer) plan(st *stamper, dr *Draft, now func() time.Time, o Options, res *Result) (*plan, error) {
	mb := d.Mailbox
	e, err := mb.Ledger(dr.Path, dr.blob())
	if err != nil {
		return nil, err
	}
	if e != nil && e.Done && !o.Force {
		res.Skipped = append(res.Skipped, Skipped{Draft: dr.Path, Reason: "already delivered as " + strings.Join(e.IDs, ", ")})
		return nil, nil
	}
	if e != nil && !e.Done {
		msgs, err := d.restamp(st, dr, e)
		if err != nil {
			return nil, err
		}
		if msgs != nil {
			p := &plan{dr: dr, entry: e}
			var present []string
			for _, m := range msgs {
				if mb.Exists(m.Provider, mailbox.FileName(m)) {
					present = append(present, m.ID)
				} else {
					p.write = append(p.write, m)
				}
			}
			if len(present) > 0 {
				res.Skipped = append(res.Skipped, Skipped{Draft: dr.Path,
					Reason: "already enqueued as " + strings.Join(present, ", ") + " (completing an interrupted delivery)"})
				return p, nil
			}
			// Nothing of the interrupted delivery reached the mailbox: deliver it as part of this run,
			// under the recorded ids but with this run's times, so drafts keep their path order.
			msgs, err := st.stamp(dr, st.next(now()), false)
			if err != nil {
				return nil, err
			}
			if len(msgs) == len(e.IDs) {
				for i, m := range msgs {
					m.ID = e.IDs[i]
				}
				return freshPlan(dr, msgs), nil
			}
		}
		// The configuration or --provider changed since the interrupted run: deliver afresh.
	}
	msgs, err := st.stamp(dr, st.next(now()), o.Force)
	if err != nil {
		return nil, err
	}
	p := freshPlan(dr, msgs)
	if o.Force {
		return p, nil
	}
	// Without a ledger entry (a lost ledger, say), an id already in archive/ was sent: that copy is
	// not enqueued again (docs/protocol.md, "Ledger"). The entry is recorded all the same.
	var sent []string
	p.write = nil
	for _, m := range msgs {
		archived, err := mb.Archived(m.ID)
		if err != nil {
			return nil, err
		}
		if archived {
			sent = append(sent, m.ID)
		} else {
			p.write = append(p.write, m)
		}
	}
	if len(sent) > 0 {
		res.Skipped = append(res.Skipped, Skipped{Draft: dr.Path, Reason: "already sent as " + strings.Join(sent, ", ")})
	}
	return p, nil
}

// freshPlan enqueues msgs for dr after recording a new intent that names them.
func freshPlan(dr *Draft, msgs []*mailbox.Message) *plan {
	p := &plan{dr: dr, fresh: true, write: msgs, entry: &mailbox.LedgerEntry{Draft: dr.Path, Blob: dr.blob()}}
	for _, m := range msgs {
		p.entry.Files = append(p.entry.Files, m.Provider+"/"+mailbox.FileName(m))
		p.entry.IDs = append(p.entry.IDs, m.ID)
		p.entry.Created = append(p.entry.Created, m.CreatedAt)
	}
	return p
}

// execute records the intents, enqueues, and marks the entries done, each phase finished (durably)
// before the next starts.
func (d *Deliverer) execute(ctx context.Context, plans []*plan, res *Result) error {
	mb := d.Mailbox
	var intents []*mailbox.LedgerEntry
	for _, p := range plans {
		if p.fresh {
			intents = append(intents, p.entry)
		}
	}
	if err := mb.RecordLedgers(intents); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err // every intent is recorded: the next run delivers these drafts
	}
	var all []*mailbox.Message
	var owner []*plan
	for _, p := range plans {
		all = append(all, p.write...)
		for range p.write {
			owner = append(owner, p)
		}
	}
	paths, err := mb.EnqueueBatch(all)
	for i, path := range paths {
		res.Delivered = append(res.Delivered, delivered(owner[i].dr, all[i], path))
	}
	if err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	done := make([]*mailbox.LedgerEntry, len(plans))
	for i, p := range plans {
		e := *p.entry
		e.Done = true
		done[i] = &e
	}
	if err := mb.RecordLedgers(done); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	return nil
}

// restamp rebuilds the messages an interrupted run recorded in e: same ids, and the recorded
// created_at (from the file names, second precision, for entries written before it was recorded).
// It returns nil when the draft no longer stamps into the recorded files (a changed configuration
// or --provider).
func (d *Deliverer) restamp(st *stamper, dr *Draft, e *mailbox.LedgerEntry) ([]*mailbox.Message, error) {
	if len(e.Files) == 0 || len(e.Files) != len(e.IDs) {
		return nil, nil
	}
	times := make([]time.Time, len(e.Files))
	for i, f := range e.Files {
		_, name, _ := strings.Cut(f, "/")
		stamp, _, _ := strings.Cut(name, "_")
		t, err := time.Parse("20060102T150405", stamp)
		if err != nil {
			return nil, nil //nolint:nilerr // not a name courier wrote: deliver afresh
		}
		times[i] = t
		if len(e.Created) == len(e.Files) && e.Created[i].Truncate(time.Second).Equal(t) {
			times[i] = e.Created[i].Time
		}
	}
	msgs, err := st.stamp(dr, times[0], false)
	if err != nil || len(msgs) != len(e.Files) {
		return nil, err
	}
	for i, m := range msgs {
		m.ID, m.CreatedAt = e.IDs[i], mailbox.At(times[i])
		if m.Provider+"/"+mailbox.FileName(m) != e.Files[i] {
			return nil, nil
		}
	}
	return msgs, nil
}

func delivered(dr *Draft, m *mailbox.Message, p string) Delivered {
	return Delivered{Draft: dr.Path, ID: m.ID, Provider: m.Provider, CorrelationID: m.CorrelationID, Path: p}
}
