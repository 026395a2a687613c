package hooks

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Head returns the branch checked out in r's worktree and the commit it points at. On an unborn
// branch (no commit yet) commit is ""; on a detached HEAD branch is "".
func (r *Repo) Head() (branch, commit string, err error) {
	if r.GitDir == "" || !isDir(r.GitDir) {
		return "", "", fmt.Errorf("read HEAD: %s: %w", r.Top, ErrNotRepo)
	}
	st := store(r)
	defer st.Close()
	head, err := st.Reference(plumbing.HEAD)
	if err != nil {
		return "", "", fmt.Errorf("read HEAD: %w", err)
	}
	if head.Type() == plumbing.HashReference {
		return "", head.Hash().String(), nil
	}
	target := head.Target()
	if target.IsBranch() {
		branch = target.Short()
	}
	ref, err := storer.ResolveReference(st, target)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return branch, "", nil // unborn
	}
	if err != nil {
		return "", "", fmt.Errorf("resolve %s: %w", target, err)
	}
	return branch, ref.Hash().String(), nil
}
