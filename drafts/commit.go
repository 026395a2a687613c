package drafts

import (
	"fmt"
	"strings"
)

// Staged is the verdict on one draft staged for a commit.
type Staged struct {
	Path    string
	Invalid []*ValidationError // nil when the draft is valid
	// OtherItem is the work item the draft belongs to when the branch is not that item's: the draft
	// will not be delivered from this branch. "" otherwise.
	OtherItem string
}

// CheckStaged validates the drafts staged for a commit on info.Branch (pre-commit), in order. On a
// detached HEAD (a rebase in progress) no draft is flagged as another item's: post-rewrite delivers
// once the rebase is done.
func (v *Validator) CheckStaged(files []Input, info StampInfo, ps []Pattern) []Staged {
	out := make([]Staged, 0, len(files))
	for _, f := range files {
		s := Staged{Path: f.Path}
		_, s.Invalid = v.Parse(f)
		if it, _ := ItemForPath(f.Path, ps); info.Branch != "" && (info.Item.ID == "" || it.ID != info.Item.ID) {
			s.OtherItem = it.ID
		}
		out = append(out, s)
	}
	return out
}

// OfItem returns the files that are drafts of it, in order: of the drafts a commit touched, only the
// branch's own work item's are delivered. A zero Item has none.
func OfItem(files []Input, it Item, ps []Pattern) []Input {
	if it.ID == "" {
		return nil
	}
	var out []Input
	for _, f := range files {
		if got, ok := ItemForPath(f.Path, ps); ok && got.ID == it.ID {
			out = append(out, f)
		}
	}
	return out
}

// Under is the leading directory every pattern's drafts directory shares (e.g. "Issues/"), so that a
// hook diffs only that subtree; "" when they share none.
func Under(ps []Pattern) string {
	prefix := ""
	for i, p := range ps {
		dir, _, _ := strings.Cut(p.Dir, "{item}")
		dir = dir[:strings.LastIndex(dir, "/")+1]
		if i == 0 {
			prefix = dir
		}
		for !strings.HasPrefix(dir, prefix) {
			prefix = prefix[:strings.LastIndex(strings.TrimSuffix(prefix, "/"), "/")+1]
		}
	}
	return prefix
}

// SkippedLine is the post-commit line for a draft that was not delivered again (README.md, "Git
// hooks"): an already delivered version names its ids and how to send it again.
func SkippedLine(s Skipped) string {
	line := "skipped " + s.Draft + ": " + s.Reason
	if strings.HasPrefix(s.Reason, "already delivered") {
		line += "; `courier deliver --force " + s.Draft + "` sends it again"
	}
	return line
}

// NotOfItem returns one line for each file that is not a draft of the branch's work item, saying why
// a commit on info.Branch does not deliver it and how it can be.
func NotOfItem(files []Input, info StampInfo, ps []Pattern) []string {
	var out []string
	for _, f := range files {
		it, _ := ItemForPath(f.Path, ps)
		switch {
		case info.Item.ID != "" && it.ID == info.Item.ID:
		case info.Branch == "":
			out = append(out, fmt.Sprintf("not delivered yet: %s: HEAD is detached (after a rebase, post-rewrite delivers it; else `courier deliver --item %s`)", f.Path, it.ID))
		default:
			out = append(out, fmt.Sprintf("not delivered: %s belongs to %s, and branch %q delivers only its own item's drafts (`courier deliver --item %s` delivers it)", f.Path, it.ID, info.Branch, it.ID))
		}
	}
	return out
}
