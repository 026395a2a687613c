// Package pattern maps branch names to work items and their drafts directories (README.md,
// "Configuration", drafts.patterns). It is the pure part of package drafts, standard library only, so
// that `courier-guard` can name an agent's drafts directory without linking the draft validator.
package pattern

import (
	"fmt"
	"regexp"
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

// Defaults returns the default patterns (README.md, "Configuration"): FEAT, FIX, CHORE and EPIC
// items, matched case-insensitively, with any `prefix/` before the id and any `-slug` after it.
func Defaults() []Pattern {
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

// ItemOf is the work item id under p: the upper-cased id and p's directory for it.
func ItemOf(id string, p Pattern) Item {
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

// ForBranch returns the work item of branch under the first pattern that matches it.
func ForBranch(branch string, ps []Pattern) (Item, bool) {
	for _, p := range ps {
		if id, ok := Match(p, branch); ok {
			return ItemOf(id, p), true
		}
	}
	return Item{}, false
}

// Match returns the work item id p's branch expression finds in s.
func Match(p Pattern, s string) (string, bool) {
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

// Spec is one configured pattern as written in the configuration: Branch is a regular expression
// with a named group `item`, Dir the drafts directory with `{item}`.
type Spec struct {
	Branch string `yaml:"branch"`
	Dir    string `yaml:"dir"`
}

// Compile compiles configured patterns; none means [Defaults]. An error names the pattern by its
// index ("patterns[1].branch: ...").
func Compile(specs []Spec) ([]Pattern, error) {
	if len(specs) == 0 {
		return Defaults(), nil
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
