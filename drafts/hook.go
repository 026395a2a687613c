package drafts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Touched is one file a commit or the index touched, as the git boundary reports it: its path
// (slash-separated, relative to the worktree top), blob id, what git records there, size and, for a
// regular file within the size limit, its content.
type Touched struct {
	Path, Blob       string
	Symlink, Gitlink bool
	Size             int64
	Content          []byte
}

// HookLine is one line a hook says on stderr: a validation problem (printed as it is) or a note
// (printed as courier's own line).
type HookLine struct {
	Text    string
	Problem bool
}

// HookResult is what a hook has to say: lines for stdout and, in order, lines for stderr.
type HookResult struct {
	Out []string
	Err []HookLine
}

func (r *HookResult) note(format string, args ...any) {
	r.Err = append(r.Err, HookLine{Text: fmt.Sprintf(format, args...)})
}

func (r *HookResult) problems(errs []*ValidationError) {
	for _, e := range errs {
		r.Err = append(r.Err, HookLine{Text: e.Error(), Problem: true})
	}
}

// ErrHookConfig is returned by [Hook.Run] when drafts are staged but the configuration could not be
// read ([Hook].Broken): the commit is blocked, and the caller names the configuration's error.
var ErrHookConfig = errors.New("the configuration could not be read")

// Hook is the drafts side of a git hook (README.md, "Git hooks"): pre-commit validates the staged
// drafts, post-commit and post-rewrite deliver the current work item's. The git side reports what a
// commit or the index touched; the branch, validator and mailbox are set up only when that is a draft.
type Hook struct {
	Patterns   []Pattern // where drafts live (DefaultPatterns when the configuration is Broken)
	Broken     bool      // the configuration could not be read
	MailboxRel string    // the mailbox as a repository path; "" means .monoco/mailbox
	// Head returns the branch HEAD names ("" when detached).
	Head func() (string, error)
	// Setup reads the branch, its work item and builds the validator.
	Setup   func() (StampInfo, *Validator, error)
	Mailbox func() (*mailbox.Mailbox, error) // the mailbox post-commit delivers into
	Now     func() time.Time
}

// Match reports whether a repository path is a draft.
func (h *Hook) Match(p string) bool { _, ok := ItemForPath(p, h.Patterns); return ok }

// Under is the subtree every draft lies in ("" for the default patterns of a broken configuration).
func (h *Hook) Under() string {
	if h.Broken {
		return ""
	}
	return Under(h.Patterns)
}

// Notice reports whether a staged path that is not a draft is one a pre-commit names: a mailbox
// path, or a misplaced draft.
func (h *Hook) Notice(p string) bool {
	if h.inMailbox(p) {
		return true
	}
	bad, _ := Misplaced(p, h.Patterns)
	return bad
}

func (h *Hook) mailboxRel() string {
	if h.MailboxRel == "" {
		return ".monoco/mailbox"
	}
	return h.MailboxRel
}

func (h *Hook) inMailbox(p string) bool {
	rel := h.mailboxRel()
	return p == rel || strings.HasPrefix(p, rel+"/")
}

// Run handles what hook name found: the files it touched (named only, when skipped under
// COURIER_SKIP=1) and, for pre-commit, the noticed paths. A pre-commit error blocks the commit; a
// post-* error is only to be reported.
func (h *Hook) Run(ctx context.Context, name string, files []Touched, noticed []string, skipped bool) (*HookResult, error) {
	res := &HookResult{}
	if skipped {
		h.namesSkipped(res, name, files)
		return res, nil
	}
	if name == "pre-commit" {
		if err := h.noticeStaged(res, noticed); err != nil {
			return res, err
		}
	}
	if len(files) == 0 {
		return res, nil
	}
	inputs, refused := hookInputs(files)
	if name == "pre-commit" {
		return res, h.preCommit(res, inputs, refused)
	}
	return res, h.deliverCommitted(ctx, res, inputs, refused)
}

// noticeStaged refuses a commit that stages a mailbox path and warns about misplaced drafts (README.md,
// "Git hooks"): one line each.
func (h *Hook) noticeStaged(res *HookResult, noticed []string) error {
	var mb []string
	for _, p := range noticed {
		if h.inMailbox(p) {
			mb = append(mb, p)
			continue
		}
		_, want := Misplaced(p, h.Patterns)
		if want == "" {
			if it := h.branchItem(); it.ID != "" {
				want = it.Dir
			} else {
				want = strings.Join(PatternDirs(h.Patterns), ", ")
			}
		}
		res.note("warning: %s is not a draft and will be neither validated nor delivered: drafts are *.md files directly in %s/", p, want)
	}
	if len(mb) == 0 {
		return nil
	}
	staged := fmt.Sprintf("%d staged path is", len(mb))
	if len(mb) > 1 {
		staged = fmt.Sprintf("%d staged paths are", len(mb))
	}
	root := h.mailboxRel()
	return fmt.Errorf("commit blocked: %s under the mailbox %s/ (%s), which is courier's: only courier writes there; unstage with `git rm -r --cached %s`",
		staged, root, mb[0], root)
}

// branchItem is the work item of the current branch ("" ID when there is none or HEAD is detached).
func (h *Hook) branchItem() Item {
	branch, err := h.Head()
	if err != nil {
		return Item{}
	}
	it, _ := ItemForBranch(branch, h.Patterns)
	return it
}

// namesSkipped names, under COURIER_SKIP=1, each draft the hook did not validate or deliver.
func (h *Hook) namesSkipped(res *HookResult, name string, files []Touched) {
	verb := "not delivered"
	if name == "pre-commit" {
		verb = "not validated"
	} else {
		it := h.branchItem()
		var mine []Touched
		for _, f := range files {
			if got, _ := ItemForPath(f.Path, h.Patterns); it.ID != "" && got.ID == it.ID {
				mine = append(mine, f)
			}
		}
		files = mine
	}
	// The same lines as the hook script's own (templates/hooks/hook.sh), which names them when courier
	// does not start at all.
	for _, f := range files {
		res.note("COURIER_SKIP=1: %s: %s", verb, f.Path)
	}
	if len(files) > 0 {
		res.note("`courier deliver` delivers them later")
	}
}

// hookInputs turns what a hook found into drafts to validate, and refuses from what git records alone
// a symbolic link, a gitlink or a blob over the size limit (README.md, "Drafts"): none of them is read.
func hookInputs(files []Touched) ([]Input, []*ValidationError) {
	var in []Input
	var refused []*ValidationError
	for _, f := range files {
		switch {
		case f.Symlink:
			refused = append(refused, &ValidationError{File: f.Path, Msg: "draft is a symbolic link; only regular files are read"})
		case f.Gitlink:
			refused = append(refused, &ValidationError{File: f.Path, Msg: "draft is a gitlink (a submodule), not a regular file"})
		case f.Content == nil && f.Size > MaxDraft:
			refused = append(refused, &ValidationError{File: f.Path, Field: "body",
				Msg: fmt.Sprintf("draft is %d bytes, over the %d allowed (frontmatter ≤ 64 KiB, body ≤ 1 MiB); it was not read", f.Size, MaxDraft)})
		default:
			in = append(in, Input{Path: f.Path, Content: f.Content, Blob: f.Blob})
		}
	}
	return in, refused
}

// preCommit validates the staged drafts; an invalid or refused one blocks the commit.
func (h *Hook) preCommit(res *HookResult, files []Input, refused []*ValidationError) error {
	if h.Broken {
		return ErrHookConfig
	}
	info, v, err := h.Setup()
	if err != nil {
		return fmt.Errorf("pre-commit: cannot validate the staged drafts: %v (COURIER_SKIP=1 commits without courier)", err)
	}
	res.problems(refused)
	bad := len(refused)
	for _, s := range v.CheckStaged(files, info, h.Patterns) {
		res.problems(s.Invalid)
		if len(s.Invalid) > 0 {
			bad++
		}
		if s.OtherItem != "" {
			res.note("note: %s belongs to %s; it will not be delivered from branch %q", s.Path, s.OtherItem, info.Branch)
		}
	}
	switch {
	case bad == 1:
		return errors.New("commit blocked: 1 draft invalid (fix the lines above and stage the draft again)")
	case bad > 1:
		return fmt.Errorf("commit blocked: %d drafts invalid (fix the lines above and stage the drafts again)", bad)
	}
	return nil
}

// deliverCommitted delivers the drafts of the branch's work item that new commits added or changed,
// and says one line for every draft they touched (README.md, "Git hooks"): delivered, skipped (with
// the --force hint), invalid, or another item's.
func (h *Hook) deliverCommitted(ctx context.Context, res *HookResult, files []Input, refused []*ValidationError) error {
	info, v, err := h.Setup()
	if err != nil {
		return err
	}
	for _, e := range refused {
		if it, _ := ItemForPath(e.File, h.Patterns); it.ID == info.Item.ID {
			res.note("not delivered: %s", strings.TrimSpace(e.Error()))
		}
	}
	mine := OfItem(files, info.Item, h.Patterns)
	for _, l := range NotOfItem(files, info, h.Patterns) {
		res.note("%s", l)
	}
	if len(mine) == 0 {
		return nil
	}
	mb, err := h.Mailbox()
	if err != nil {
		return err
	}
	d := &Deliverer{Mailbox: mb, Validator: v, Now: h.Now, Info: info}
	out, err := d.Deliver(ctx, mine, Options{})
	if err != nil {
		return err
	}
	for _, dl := range out.Delivered {
		res.Out = append(res.Out, fmt.Sprintf("delivered %s → %s", dl.Draft, dl.ID))
	}
	for _, s := range out.Skipped {
		res.Out = append(res.Out, SkippedLine(s))
	}
	for _, e := range out.Invalid {
		res.note("not delivered: %s", strings.TrimSpace(e.Error()))
	}
	return nil
}
