// Package drafts turns the Markdown drafts of a work item into outbound mailbox messages: it finds the
// work item of a branch or a path, discovers its drafts, parses and validates each one (the embedded
// JSON Schema, then semantic rules and the providers' own checks), stamps it (docs/protocol.md,
// "Fields") and enqueues it exactly once per draft version through the mailbox ledger.
//
// drafts never imports an adapter: cmd/courier hands it the configured providers and their checks.
package drafts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/monoco/courier/drafts/pattern"
)

// Pattern maps a branch name to a work item's drafts directory ([pattern.Pattern]).
type Pattern = pattern.Pattern

// DefaultPatterns returns the default patterns ([pattern.Defaults]).
func DefaultPatterns() []Pattern { return pattern.Defaults() }

// Item is a work item and where its drafts live ([pattern.Item]).
type Item pattern.Item

// ItemForBranch returns the work item of branch under the first pattern that matches it.
func ItemForBranch(branch string, ps []Pattern) (Item, bool) {
	it, ok := pattern.ForBranch(branch, ps)
	return Item(it), ok
}

// ItemForPath returns the work item a draft belongs to: path (relative to the repository) must be a
// `*.md` file directly in a pattern's drafts directory, with a name not starting with `.` or `_`, and
// the directory's item must be one the pattern's branch expression accepts.
func ItemForPath(p string, ps []Pattern) (Item, bool) {
	p = path.Clean(filepath.ToSlash(p))
	dir, base := path.Split(p)
	if !IsDraftName(base) {
		return Item{}, false
	}
	dir = strings.TrimSuffix(dir, "/")
	for _, pat := range ps {
		before, after, ok := strings.Cut(pat.Dir, "{item}")
		if !ok || !strings.HasPrefix(dir, before) || !strings.HasSuffix(dir, after) ||
			len(dir) <= len(before)+len(after) {
			continue
		}
		id := dir[len(before) : len(dir)-len(after)]
		if strings.Contains(id, "/") {
			continue
		}
		if got, ok := pattern.Match(pat, id); ok && strings.EqualFold(got, id) {
			return Item(pattern.ItemOf(id, pat)), true
		}
	}
	return Item{}, false
}

// IsDraftName reports whether a file name is a draft's: `*.md`, not starting with `.` or `_`.
func IsDraftName(name string) bool {
	return strings.HasSuffix(name, ".md") && len(name) > len(".md") &&
		!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_")
}

// Find returns the drafts of it in the working tree of repoTop, as repository-relative slash paths in
// path order. Symbolic links with draft names are listed too, so that validating them reports them
// rather than silently skipping them. A missing drafts directory is no drafts.
func Find(repoTop string, it Item) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(repoTop, filepath.FromSlash(it.Dir)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find drafts of %s: %w", it.ID, err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() || !IsDraftName(e.Name()) {
			continue
		}
		out = append(out, path.Join(it.Dir, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

// PatternSpec is one configured pattern as written in the configuration ([pattern.Spec]).
type PatternSpec = pattern.Spec

// CompilePatterns compiles configured patterns; none means [DefaultPatterns] ([pattern.Compile]).
func CompilePatterns(specs []PatternSpec) ([]Pattern, error) { return pattern.Compile(specs) }
