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
	if err := c.fetchRemote(ctx, log); err != nil {
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
	res, failed, err := c.deliverBranches(ctx, log, branches, tips)
	if err != nil {
		return res, err
	}
	if err := c.forgetDeleted(log, branches, tips); err != nil {
		return res, err
	}
	if res.Delivered > 0 || res.Invalid > 0 {
		log.Info("fetched", "delivered", res.Delivered, "invalid", res.Invalid)
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("fetch %s: could not deliver from %s", c.cfg.Remote, strings.Join(failed, ", "))
	}
	return res, nil
}

// fetchRemote runs `git fetch` within FetchTimeout. A stall is named as such; a failure because ctx
// is done returns ctx's error (shutting down is not a failure of the remote) and is not logged.
func (c *Central) fetchRemote(ctx context.Context, log *slog.Logger) error {
	fctx, cancel := context.WithTimeout(ctx, c.cfg.FetchTimeout)
	err := hooks.Fetch(fctx, c.cfg.Repo, c.cfg.Remote)
	stalled := fctx.Err() != nil
	cancel()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if stalled {
		err = fmt.Errorf("git fetch %s: no answer within %s", c.cfg.Remote, c.cfg.FetchTimeout)
	}
	log.Error("fetch failed; trying again at the next interval", "err", err)
	return err
}

// deliverBranches delivers, in name order, from every matching branch whose tip moved, recording
// each tip once its branch is done. It returns the branches that failed; its error is ctx's, or a
// failure to record the tips, and stops the run.
func (c *Central) deliverBranches(ctx context.Context, log *slog.Logger, branches, tips map[string]string) (Result, []string, error) {
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
				return res, failed, ctx.Err()
			}
			log.Error("deliver from remote branch; trying again at the next fetch", "branch", c.cfg.Remote+"/"+name, "err", err)
			failed = append(failed, name)
			continue
		}
		tips[name] = tip
		if err := c.state.saveTips(tips); err != nil {
			log.Error("record remote tips", "err", err)
			return res, failed, err
		}
	}
	return res, failed, nil
}

// forgetDeleted drops the tips of branches deleted on the remote: nothing queued changes.
func (c *Central) forgetDeleted(log *slog.Logger, branches, tips map[string]string) error {
	forgot := false
	for name := range tips {
		if _, ok := branches[name]; !ok {
			delete(tips, name)
			forgot = true
		}
	}
	if !forgot {
		return nil
	}
	if err := c.state.saveTips(tips); err != nil {
		log.Error("record remote tips", "err", err)
		return err
	}
	return nil
}

// branch delivers the new draft versions of one branch, from old (the last processed tip, "" on
// first sight) to tip: walk the branch, drop the versions already found invalid, then deliver one
// commit at a time, oldest first.
func (c *Central) branch(ctx context.Context, log *slog.Logger, name string, it drafts.Item, old, tip string, res *Result) error {
	files, err := c.walk(ctx, it, old, tip)
	if err != nil {
		return err
	}
	todo, blobs, err := c.unseen(ctx, files)
	if err != nil {
		return err
	}
	run := &branchRun{c: c, log: log, item: it, branch: c.cfg.Remote + "/" + name, blobs: blobs, res: res,
		d: &drafts.Deliverer{Mailbox: c.cfg.Mailbox, Validator: c.cfg.Validator, Now: c.cfg.Now}}
	for len(todo) > 0 {
		n := 1
		for n < len(todo) && todo[n].Commit == todo[0].Commit {
			n++
		}
		if err := run.commit(ctx, todo[:n]); err != nil {
			return err
		}
		todo = todo[n:]
	}
	return nil
}

// walk lists the draft versions of work item it that the branch brings from old to tip: those its
// new commits added or changed, or every draft in tip on first sight (old is "", or the branch was
// rewritten so that it shares nothing with old).
func (c *Central) walk(ctx context.Context, it drafts.Item, old, tip string) ([]hooks.RemoteFile, error) {
	r := c.cfg.Repo
	under := drafts.Under(c.cfg.Patterns)
	match := func(p string) bool {
		got, ok := drafts.ItemForPath(p, c.cfg.Patterns)
		return ok && got.ID == it.ID // a branch delivers its own work item's drafts, as locally
	}
	if old != "" {
		// old..tip: the new commits, or for a rewritten branch those after the merge base.
		commits, connected, err := hooks.NewCommits(ctx, r, old, tip)
		switch {
		case errors.Is(err, hooks.ErrUnknownCommit) || err == nil && !connected:
			// nothing in common with what was seen: first sight
		case err != nil:
			return nil, err
		default:
			return hooks.ChangedFiles(ctx, r, commits, under, match)
		}
	}
	return hooks.TreeFiles(ctx, r, tip, under, match)
}

// unseen drops the versions already found invalid (they are never looked at again) and reads the
// blobs of the regular files among the rest.
func (c *Central) unseen(ctx context.Context, files []hooks.RemoteFile) ([]hooks.RemoteFile, map[string]hooks.Blob, error) {
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
	blobs, err := hooks.ReadBlobs(ctx, c.cfg.Repo, ids, maxDraft)
	return todo, blobs, err
}

// branchRun delivers the draft versions of one branch.
type branchRun struct {
	c      *Central
	log    *slog.Logger
	item   drafts.Item
	branch string // remote/name
	blobs  map[string]hooks.Blob
	d      *drafts.Deliverer
	res    *Result
}

// commit delivers the versions group of one commit, then records those found invalid.
func (b *branchRun) commit(ctx context.Context, group []hooks.RemoteFile) error {
	inputs, bad := b.inputs(group)
	commit := group[0].Commit
	b.d.Info = drafts.StampInfo{Item: b.item, Branch: b.branch, Commit: commit}
	out, err := b.d.Deliver(ctx, inputs, drafts.Options{})
	if out != nil {
		b.res.Delivered += len(out.Delivered)
		for _, dl := range out.Delivered {
			b.log.Info("delivered", "draft", dl.Draft, "msg_id", dl.ID, "branch", b.branch, "commit", commit)
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
			if err := b.c.invalid(b.log, f, b.branch, errs); err != nil {
				return err
			}
			b.res.Invalid++
		}
	}
	return nil
}

// inputs turns group into drafts to deliver, refusing up front what is not a regular file or is
// too large to be a draft.
func (b *branchRun) inputs(group []hooks.RemoteFile) ([]drafts.Input, map[string][]*drafts.ValidationError) {
	var inputs []drafts.Input
	bad := map[string][]*drafts.ValidationError{}
	for _, f := range group {
		blob := b.blobs[f.Blob]
		switch {
		case !f.Regular():
			bad[f.Path] = []*drafts.ValidationError{{File: f.Path, Msg: "draft is a symbolic link or submodule; only regular files are read"}}
		case blob.Content == nil && blob.Size > maxDraft:
			bad[f.Path] = []*drafts.ValidationError{{File: f.Path, Field: "body",
				Msg: fmt.Sprintf("draft is larger than %d bytes (frontmatter ≤ 64 KiB, body ≤ 1 MiB)", maxDraft)}}
		default:
			inputs = append(inputs, drafts.Input{Path: f.Path, Content: blob.Content, Blob: f.Blob})
		}
	}
	return inputs, bad
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
