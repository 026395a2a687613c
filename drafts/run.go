package drafts

import (
	"fmt"
	"path/filepath"
)

// LoadItem loads explicit paths (relative to cwd) with [LoadAll] or, when there are none, every
// draft of it in the worktree at repoTop.
func LoadItem(repoTop, cwd string, it Item, paths []string, hash BlobHasher) ([]Input, []*ValidationError, error) {
	if len(paths) == 0 {
		found, err := Find(repoTop, it)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range found {
			paths = append(paths, filepath.Join(repoTop, p))
		}
	}
	return LoadAll(repoTop, cwd, paths, hash)
}

// Check validates inputs and returns the paths of the valid drafts (never nil) and every problem of
// the others, in order.
func (v *Validator) Check(inputs []Input) (valid []string, invalid []*ValidationError) {
	valid = []string{}
	for _, in := range inputs {
		if _, errs := v.Parse(in); len(errs) > 0 {
			invalid = append(invalid, errs...)
		} else {
			valid = append(valid, in.Path)
		}
	}
	return valid, invalid
}

// Lines are what `courier deliver` prints of a run, one line a draft (dry: what it would deliver).
func (r *Result) Lines(dry bool) []string {
	verb := "delivered"
	if dry {
		verb = "would deliver"
	}
	var out []string
	for _, d := range r.Delivered {
		out = append(out, fmt.Sprintf("%s %s → %s", verb, d.Draft, d.ID))
	}
	for _, sk := range r.Skipped {
		out = append(out, fmt.Sprintf("skipped %s: %s", sk.Draft, sk.Reason))
	}
	return out
}
