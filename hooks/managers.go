package hooks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Hook managers rewrite hooks behind courier's back: husky 9 rewrites every stub in core.hooksPath
// (.husky/_) on each `npm install`, and the pre-commit tool's `pre-commit install` moves any hook that is
// not its own to `<name>.legacy`, which its hook then runs first. These helpers let Install and Uninstall
// take what they find without keeping anything twice or losing anything.

// legacySuffix names the hook pre-commit's hook runs first.
const legacySuffix = ".legacy"

// preCommitScript reports whether a hook is the pre-commit tool's (https://pre-commit.com): its
// template says so and runs `hook-impl`.
func preCommitScript(b []byte) bool {
	return bytes.Contains(b, []byte("pre-commit.com")) && bytes.Contains(b, []byte("hook-impl"))
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// sameHook reports whether a and b are the same hook: regular files with the same bytes, or symlinks
// with the same target.
func sameHook(a, b string) bool {
	fa, err := os.Lstat(a)
	if err != nil {
		return false
	}
	fb, err := os.Lstat(b)
	if err != nil || fa.Mode().Type() != fb.Mode().Type() {
		return false
	}
	switch {
	case fa.Mode()&os.ModeSymlink != 0:
		ta, ea := os.Readlink(a)
		tb, eb := os.Readlink(b)
		return ea == nil && eb == nil && ta == tb
	case fa.Mode().IsRegular():
		ba, ea := os.ReadFile(a)
		bb, eb := os.ReadFile(b)
		return ea == nil && eb == nil && bytes.Equal(ba, bb)
	}
	return false
}

// chainForeign makes the foreign hook at path the preserved hook `chained`. An earlier preserved hook
// that is the same is replaced (kept once); one that differs is kept once under a numbered name.
func chainForeign(path, chained string) ([]string, error) {
	from, to := filepath.Base(path), filepath.Base(chained)
	var lines []string
	switch {
	case !exists(chained):
	case sameHook(path, chained):
		if err := os.Rename(path, chained); err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("kept foreign %s as %s (the same as the hook kept there before, e.g. rewritten by a hook manager: kept once)", from, to)}, nil
	default:
		if kept := sameBackup(chained); kept != "" {
			lines = append(lines, fmt.Sprintf("the earlier preserved %s differs from the new %s and is already kept as %s (it no longer runs)", to, from, filepath.Base(kept)))
			break
		}
		older, err := freeNumbered(chained)
		if err != nil {
			return nil, err
		}
		if err := os.Rename(chained, older); err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprintf("moved earlier preserved %s to %s: it differs from the new %s (it no longer runs)", to, filepath.Base(older), from))
	}
	if err := os.Rename(path, chained); err != nil {
		return lines, err
	}
	return append(lines, fmt.Sprintf("kept foreign %s as %s", from, to)), nil
}

// sameBackup returns a numbered copy of chained that is the same hook as chained, or "".
func sameBackup(chained string) string {
	name := strings.TrimSuffix(filepath.Base(chained), chainedSuffix)
	for _, p := range numberedChainedSorted(filepath.Dir(chained), name) {
		if sameHook(p, chained) {
			return p
		}
	}
	return ""
}

// dropManagerCopy handles a preserved hook beside pre-commit's hook at hook, which runs courier's from
// `<hook>.legacy`: a preserved copy of pre-commit's own hook would run pre-commit inside itself (it
// refuses: "installed in migration mode"), so an identical copy is removed and an older one is kept
// once under a numbered name. Any other preserved hook stays: courier's runs it.
func dropManagerCopy(hook, chained string) ([]string, error) {
	b, err := os.ReadFile(chained)
	if err != nil || !preCommitScript(b) {
		return nil, nil //nolint:nilerr // a symlink or unreadable file is not pre-commit's: it stays chained
	}
	base, name := filepath.Base(chained), filepath.Base(hook)
	if sameHook(hook, chained) || sameBackup(chained) != "" {
		if err := os.Remove(chained); err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("removed %s: a copy of pre-commit's %s, which stays in place", base, name)}, nil
	}
	older, err := freeNumbered(chained)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(chained, older); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("moved %s (an older pre-commit hook) to %s (it no longer runs)", base, filepath.Base(older))}, nil
}

// dropDuplicateBackups removes numbered preserved hooks `<name>.courier-chained.N` that are the same as
// `<name>.courier-chained` or as a lower-numbered one (left by earlier `install --force` cycles).
func dropDuplicateBackups(dir, name string) ([]string, error) {
	var kept []string
	if c := filepath.Join(dir, name+chainedSuffix); exists(c) {
		kept = append(kept, c)
	}
	var lines []string
	for _, p := range numberedChainedSorted(dir, name) {
		i := slices.IndexFunc(kept, func(k string) bool { return sameHook(p, k) })
		if i < 0 {
			kept = append(kept, p)
			continue
		}
		if err := os.Remove(p); err != nil {
			return lines, err
		}
		lines = append(lines, fmt.Sprintf("removed %s: the same as %s", filepath.Base(p), filepath.Base(kept[i])))
	}
	return lines, nil
}

// numberedChainedSorted is numberedChained in the order of N.
func numberedChainedSorted(dir, name string) []string {
	ps := numberedChained(dir, name)
	n := func(p string) int {
		i, _ := strconv.Atoi(p[strings.LastIndexByte(p, '.')+1:])
		return i
	}
	slices.SortFunc(ps, func(a, b string) int { return n(a) - n(b) })
	return ps
}
