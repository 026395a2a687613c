package drafts

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// MaxDraft is the largest draft file the limits allow (frontmatter ≤ 64 KiB, body ≤ 1 MiB, plus the
// delimiter lines): a larger one is rejected from its size alone, before it is read.
const MaxDraft = maxFile

// idLike is a path component that looks like a work item id (FEAT-1, fix-0012).
var idLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z]+-\d+$`) })

// Misplaced reports whether p (a repository-relative file path) looks meant as a draft but is not one
// (README.md, "Drafts"): a `*.md` under a sub-folder of a drafts directory, or under a folder that
// looks like a drafts directory (named `drafts`, `draft` or like a pattern's last folder, below the
// patterns' common prefix or an item id) without matching any pattern. want is the drafts directory
// it was most likely meant for ("" when that cannot be told).
func Misplaced(p string, ps []Pattern) (misplaced bool, want string) {
	p = path.Clean(p)
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if !IsDraftName(base) {
		return false, ""
	}
	names := map[string]bool{"drafts": true, "draft": true}
	for _, pat := range ps {
		names[strings.ToLower(path.Base(pat.Dir))] = true
	}
	// Every case below needs a folder with one of these names: the pre-commit hook asks about every
	// *.md in the index, so most are answered here, cheaply.
	lower, named := strings.ToLower(dir), false
	for n := range names {
		named = named || strings.Contains(n, "{item}") || strings.Contains(lower, n)
	}
	if !named {
		return false, ""
	}
	if _, ok := ItemForPath(p, ps); ok {
		return false, ""
	}
	under := strings.ToLower(Under(ps))
	parts := strings.Split(dir, "/")
	for i := len(parts); i > 0; i-- {
		d := strings.Join(parts[:i], "/")
		if it, ok := ItemForPath(d+"/x.md", ps); ok {
			return true, it.Dir // in a sub-folder of a real drafts directory
		}
		if !names[strings.ToLower(parts[i-1])] {
			continue
		}
		byID := i > 1 && idLike().MatchString(parts[i-2])
		if byID || (under != "" && strings.HasPrefix(strings.ToLower(d)+"/", under)) {
			if byID {
				if it, ok := ItemForBranch(parts[i-2], ps); ok {
					return true, it.Dir
				}
			}
			return true, ""
		}
	}
	return false, ""
}

// PatternDirs lists the drafts directories of ps as written (`Issues/Features/work/{item}/drafts`).
func PatternDirs(ps []Pattern) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Dir
	}
	return out
}
