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
	"regexp"
	"sort"
	"strings"
)

// Pattern maps a branch name to a work item's drafts directory.
type Pattern struct {
	// Branch matches a branch name; its named group `item` is the work item id.
	Branch *regexp.Regexp
	// Dir is the drafts directory relative to the repository, slash-separated; `{item}` stands for the
	// upper-cased item id, e.g. "Issues/Features/work/{item}/drafts".
	Dir string
}

// DefaultPatterns returns the default patterns (README.md, "Configuration"): FEAT, FIX, CHORE and
// EPIC items, matched case-insensitively, with any `prefix/` before the id and any `-slug` after it.
func DefaultPatterns() []Pattern {
	mk := func(kind, dir string) Pattern {
		return Pattern{
			Branch: regexp.MustCompile(`(?i)(?:^|/)(?P<item>` + kind + `-\d+)`),
			Dir:    "Issues/" + dir + "/work/{item}/drafts",
		}
	}
	return []Pattern{mk("FEAT", "Features"), mk("FIX", "Fixes"), mk("CHORE", "Chores"), mk("EPIC", "Epics")}
}

// Item is a work item and where its drafts live.
type Item struct {
	ID       string // upper-cased, e.g. "FEAT-0172"
	Category string // lower-cased kind prefix of ID: feat, fix, chore, epic
	Dir      string // drafts directory, slash-separated, relative to the repository
}

func itemFromID(id string, p Pattern) Item {
	id = strings.ToUpper(id)
	return Item{ID: id, Category: category(id), Dir: strings.ReplaceAll(p.Dir, "{item}", id)}
}

// category is the lower-cased leading letters of id ("FEAT-0172" → "feat"), or "item" when it has none.
func category(id string) string {
	i := strings.IndexFunc(id, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') })
	if i < 0 {
		i = len(id)
	}
	if i == 0 {
		return "item"
	}
	return strings.ToLower(id[:i])
}

// ItemForBranch returns the work item of branch under the first pattern that matches it.
func ItemForBranch(branch string, ps []Pattern) (Item, bool) {
	for _, p := range ps {
		if id, ok := matchItem(p, branch); ok {
			return itemFromID(id, p), true
		}
	}
	return Item{}, false
}

func matchItem(p Pattern, s string) (string, bool) {
	if p.Branch == nil {
		return "", false
	}
	m := p.Branch.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	i := p.Branch.SubexpIndex("item")
	if i < 0 || m[i] == "" {
		return "", false
	}
	return m[i], true
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
		if got, ok := matchItem(pat, id); ok && strings.EqualFold(got, id) {
			return itemFromID(id, pat), true
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

// PatternSpec is one configured pattern as written in the configuration: Branch is a regular
// expression with a named group `item`, Dir the drafts directory with `{item}`.
type PatternSpec struct {
	Branch string `yaml:"branch"`
	Dir    string `yaml:"dir"`
}

// CompilePatterns compiles configured patterns; none means [DefaultPatterns]. An error names the
// pattern by its index ("patterns[1].branch: ...").
func CompilePatterns(specs []PatternSpec) ([]Pattern, error) {
	if len(specs) == 0 {
		return DefaultPatterns(), nil
	}
	out := make([]Pattern, 0, len(specs))
	for i, p := range specs {
		re, err := regexp.Compile(p.Branch)
		if err != nil {
			return nil, fmt.Errorf("patterns[%d].branch: %w", i, err)
		}
		if re.SubexpIndex("item") < 0 || !strings.Contains(p.Dir, "{item}") {
			return nil, fmt.Errorf("patterns[%d]: branch needs a named group (?P<item>…) and dir needs {item}", i)
		}
		out = append(out, Pattern{Branch: re, Dir: p.Dir})
	}
	return out, nil
}
