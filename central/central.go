// Package central is courier's central mode (docs/protocol.md, "Central mode"): agents on many
// machines push their work-item branches, and one courier fetches the remote, finds the draft versions
// that the branches' new commits added or changed, and delivers each through the same validation,
// stamping, sealing and ledger as local delivery, so a version is delivered once however it arrives.
//
// Git is read through hooks (real `git fetch`, then plumbing on the object store; nothing is checked
// out or executed), drafts validate and deliver, and the state (each branch's last processed tip, the
// invalid versions seen) sits beside the ledger in courier's private state.
package central

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/hooks"
)

// maxDraft is the largest blob read as a draft: both limits plus the delimiter lines.
const maxDraft = drafts.MaxFrontmatter + drafts.MaxBody + 64

// Config configures a Central.
type Config struct {
	Repo      *hooks.Repo      // the central clone (bare or not)
	Remote    string           // the remote's name, e.g. origin
	Mailbox   *mailbox.Mailbox // where messages are enqueued; the state lives beside its ledger
	Validator *drafts.Validator
	Patterns  []drafts.Pattern // branch → drafts directory; nil means drafts.DefaultPatterns()
	Logger    *slog.Logger     // default: discard
	Now       func() time.Time // default: time.Now
	// FetchTimeout bounds one `git fetch` (a stalled network); default 5m. Delivery is not bounded.
	FetchTimeout time.Duration
}

// Result is what one Fetch did.
type Result struct {
	Delivered int // messages enqueued
	Invalid   int // invalid draft versions seen for the first time
}

// Central fetches one remote and delivers what its branches bring. Fetch is safe for concurrent use:
// runs are serialised, in this process and across processes sharing the state (an flock).
type Central struct {
	cfg   Config
	state *state
	mu    sync.Mutex
}

// New returns a Central for cfg; it creates the state directory.
func New(cfg Config) (*Central, error) {
	if cfg.Patterns == nil {
		cfg.Patterns = drafts.DefaultPatterns()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 5 * time.Minute
	}
	st, err := newState(StateBase(cfg.Mailbox), cfg.Remote)
	if err != nil {
		return nil, err
	}
	return &Central{cfg: cfg, state: st}, nil
}

// Run fetches at once and then every interval until ctx is done. A failed fetch is logged (Fetch
// does it) and tried again at the next interval.
func (c *Central) Run(ctx context.Context, interval time.Duration) {
	c.cfg.Logger.Info("central mode: fetching", "remote", c.cfg.Remote, "fetch_interval", interval.String(),
		"branches", "matching the drafts patterns")
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		_, _ = c.Fetch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Fetch runs `git fetch --prune` on the remote, then delivers, branch by branch in name order, the
// draft versions of each matching branch's new commits, oldest commit first. A branch seen for the
// first time delivers the drafts in its tip. A rewritten branch is walked from where it left its old
// tip (the merge base), or seen afresh when they share nothing. A deleted branch is forgotten.
//
// A branch's tip is remembered only once its deliveries (ledger entries done) and invalid versions
// are durable: a crash at any point delivers nothing twice and loses nothing (the next run walks the
// branch again and the ledger skips what was done). Errors are logged here and returned; a failed
// branch does not stop the others.
func (c *Central) Fetch(ctx context.Context) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := c.state.lock()
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	log := c.cfg.Logger.With("remote", c.cfg.Remote)
	fctx, cancel := context.WithTimeout(ctx, c.cfg.FetchTimeout)
	err = hooks.Fetch(fctx, c.cfg.Repo, c.cfg.Remote)
	stalled := fctx.Err() != nil
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err() // shutting down: not a failure of the remote
		}
		if stalled {
			err = fmt.Errorf("git fetch %s: no answer within %s", c.cfg.Remote, c.cfg.FetchTimeout)
		}
		log.Error("fetch failed; trying again at the next interval", "err", err)
		return Result{}, err
	}
	branches, err := hooks.RemoteBranches(ctx, c.cfg.Repo, c.cfg.Remote)
	if err != nil {
		log.Error("list remote branches", "err", err)
		return Result{}, err
	}
	tips, err := c.state.tips()
	if err != nil {
		log.Error("read central state", "err", err)
		return Result{}, err
	}
	names := make([]string, 0, len(branches))
	for name := range branches {
		names = append(names, name)
	}
	sort.Strings(names)
	var res Result
	var failed []string
	for _, name := range names {
		tip := branches[name]
		it, ok := drafts.ItemForBranch(name, c.cfg.Patterns)
		if !ok || tips[name] == tip {
			continue
		}
		if err := c.branch(ctx, log, name, it, tips[name], tip, &res); err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			log.Error("deliver from remote branch; trying again at the next fetch", "branch", c.cfg.Remote+"/"+name, "err", err)
			failed = append(failed, name)
			continue
		}
		tips[name] = tip
		if err := c.state.saveTips(tips); err != nil {
			log.Error("record remote tips", "err", err)
			return res, err
		}
	}
	forgot := false
	for name := range tips {
		if _, ok := branches[name]; !ok {
			delete(tips, name) // deleted on the remote: nothing queued changes, its tip is forgotten
			forgot = true
		}
	}
	if forgot {
		if err := c.state.saveTips(tips); err != nil {
			log.Error("record remote tips", "err", err)
			return res, err
		}
	}
	if res.Delivered > 0 || res.Invalid > 0 {
		log.Info("fetched", "delivered", res.Delivered, "invalid", res.Invalid)
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("fetch %s: could not deliver from %s", c.cfg.Remote, strings.Join(failed, ", "))
	}
	return res, nil
}

// branch delivers the new draft versions of one branch, from old (the last processed tip, "" on
// first sight) to tip.
func (c *Central) branch(ctx context.Context, log *slog.Logger, name string, it drafts.Item, old, tip string, res *Result) error {
	r := c.cfg.Repo
	under := drafts.Under(c.cfg.Patterns)
	match := func(p string) bool {
		got, ok := drafts.ItemForPath(p, c.cfg.Patterns)
		return ok && got.ID == it.ID // a branch delivers its own work item's drafts, as locally
	}
	var files []hooks.RemoteFile
	if old != "" {
		// old..tip: the new commits, or for a rewritten branch those after the merge base.
		commits, connected, err := hooks.NewCommits(ctx, r, old, tip)
		switch {
		case errors.Is(err, hooks.ErrUnknownCommit) || err == nil && !connected:
			old = "" // nothing in common with what was seen: first sight
		case err != nil:
			return err
		default:
			if files, err = hooks.ChangedFiles(ctx, r, commits, under, match); err != nil {
				return err
			}
		}
	}
	if old == "" {
		var err error
		if files, err = hooks.TreeFiles(ctx, r, tip, under, match); err != nil {
			return err
		}
	}
	// Versions already found invalid are never looked at again.
	var todo []hooks.RemoteFile
	var ids []string
	for _, f := range files {
		if c.state.knownInvalid(f.Path, f.Blob) {
			continue
		}
		todo = append(todo, f)
		if f.Regular() {
			ids = append(ids, f.Blob)
		}
	}
	blobs, err := hooks.ReadBlobs(ctx, r, ids, maxDraft)
	if err != nil {
		return err
	}
	branch := c.cfg.Remote + "/" + name
	d := &drafts.Deliverer{Mailbox: c.cfg.Mailbox, Validator: c.cfg.Validator, Now: c.cfg.Now}
	for len(todo) > 0 {
		// One commit at a time, oldest first.
		n := 1
		for n < len(todo) && todo[n].Commit == todo[0].Commit {
			n++
		}
		group := todo[:n]
		todo = todo[n:]
		var inputs []drafts.Input
		bad := map[string][]*drafts.ValidationError{}
		for _, f := range group {
			b := blobs[f.Blob]
			switch {
			case !f.Regular():
				bad[f.Path] = []*drafts.ValidationError{{File: f.Path, Msg: "draft is a symbolic link or submodule; only regular files are read"}}
			case b.Content == nil && b.Size > maxDraft:
				bad[f.Path] = []*drafts.ValidationError{{File: f.Path, Field: "body",
					Msg: fmt.Sprintf("draft is larger than %d bytes (frontmatter ≤ 64 KiB, body ≤ 1 MiB)", maxDraft)}}
			default:
				inputs = append(inputs, drafts.Input{Path: f.Path, Content: b.Content, Blob: f.Blob})
			}
		}
		d.Info = drafts.StampInfo{Item: it, Branch: branch, Commit: group[0].Commit}
		out, err := d.Deliver(ctx, inputs, drafts.Options{})
		if out != nil {
			res.Delivered += len(out.Delivered)
			for _, dl := range out.Delivered {
				log.Info("delivered", "draft", dl.Draft, "msg_id", dl.ID, "branch", branch, "commit", group[0].Commit)
			}
			for _, e := range out.Invalid {
				bad[e.File] = append(bad[e.File], e)
			}
		}
		if err != nil {
			return err
		}
		for _, f := range group {
			if errs := bad[f.Path]; len(errs) > 0 {
				if err := c.invalid(log, f, branch, errs); err != nil {
					return err
				}
				res.Invalid++
			}
		}
	}
	return nil
}

// invalid logs an invalid version, then records it so that it is never logged again.
func (c *Central) invalid(log *slog.Logger, f hooks.RemoteFile, branch string, errs []*drafts.ValidationError) error {
	v := InvalidVersion{Draft: f.Path, Blob: f.Blob, Branch: branch, Commit: f.Commit, SeenAt: at(c.cfg.Now()),
		Line: errs[0].Line, Field: errs[0].Field, Message: errs[0].Msg}
	for _, e := range errs {
		line := strings.TrimSpace(e.Error())
		v.Errors = append(v.Errors, line)
		log.Warn("invalid draft on remote branch: not delivered", "branch", branch, "commit", f.Commit, "err", line)
	}
	return c.state.recordInvalid(v)
}
