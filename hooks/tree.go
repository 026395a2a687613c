package hooks

import (
	"errors"
	"fmt"
	"path"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// TreeBlobs returns the blob ids of the files directly in dir (slash-separated, relative to the
// worktree top) in commit rev's tree, by path. An unborn HEAD or a missing dir has none.
func TreeBlobs(r *Repo, rev, dir string) (map[string]string, error) {
	st := store(r)
	defer st.Close()
	out := map[string]string{}
	h, err := resolve(st, rev)
	if err != nil {
		if rev == "HEAD" {
			if _, herr := headTree(st); herr == nil {
				return out, nil // unborn: nothing committed yet
			}
		}
		return nil, err
	}
	c, err := object.GetCommit(st, h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", h, err)
	}
	sub, err := t.Tree(dir)
	if errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s in %s: %w", dir, h, err)
	}
	for _, e := range sub.Entries {
		if isFileMode(e.Mode) {
			out[path.Join(dir, e.Name)] = e.Hash.String()
		}
	}
	return out, nil
}
