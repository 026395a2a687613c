package hooks

import (
	"path/filepath"
	"strings"
)

// DraftPathspecs returns the git pathspecs the hook scripts bake in (InstallOptions.Pathspecs) to decide,
// without starting courier, that a commit concerns courier: git lists the paths a commit adds or changes
// under them, and courier starts only when there is one. They are deliberately broader than what courier
// acts on (a superset, never a subset), so that no hook rule is skipped:
//
//   - every drafts directory, sub-folders included (`{item}` becomes `*`; case ignored), from dirs, the
//     drafts patterns' directory templates (e.g. "Issues/Features/work/{item}/drafts");
//   - any folder named drafts or draft, anywhere (a draft put in the wrong place is warned about);
//   - the mailbox (staging it is refused), when mailbox (absolute, or relative to r's main worktree)
//     lies inside the main worktree.
//
// Every pathspec uses the glob magic; characters of dirs that mean something to a glob, and characters
// the hook script cannot hold in a quoted string (' and line breaks), match as `?` or are escaped, so a
// pathspec never matches less than the directory it stands for.
func DraftPathspecs(r *Repo, dirs []string, mailbox string) []string {
	var out []string
	seen := map[string]bool{}
	// add adds the pathspecs of a directory: itself (a file, symlink or gitlink where a directory
	// belongs) and everything below it (a glob pathspec does not match leading directories).
	add := func(magic, dir string) {
		for _, s := range []string{magic + dir, magic + dir + "/**"} {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	add(":(glob,icase)", "**/drafts")
	add(":(glob,icase)", "**/draft")
	for _, d := range dirs {
		d = strings.Trim(filepath.ToSlash(d), "/")
		if d == "" {
			continue
		}
		parts := strings.Split(d, "{item}")
		for i := range parts {
			parts[i] = globEscape(parts[i])
		}
		add(":(glob,icase)", strings.Join(parts, "*"))
	}
	if mailbox != "" && r != nil {
		root := r.MainWorktree
		if root == "" {
			root = r.Top
		}
		if !filepath.IsAbs(mailbox) {
			mailbox = filepath.Join(root, mailbox)
		}
		if rel, err := filepath.Rel(root, mailbox); err == nil && rel != "." && filepath.IsLocal(rel) {
			add(":(glob)", globEscape(filepath.ToSlash(rel)))
		}
	}
	return out
}

// globEscape escapes s for a glob pathspec; ' and line breaks, which the hook script cannot quote,
// become `?` (any one character: a broader match, never a narrower one).
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '\'', '\n', '\r':
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// bakedPathspecs returns the pathspecs recorded in a hook script by render, and whether it records any
// (a hook written before the fast path records none: it starts courier on every commit).
func bakedPathspecs(script []byte) ([]string, bool) {
	s := string(script)
	i := strings.Index(s, "\n"+pathspecsVar+"='")
	if i < 0 {
		return nil, false
	}
	s = s[i+len(pathspecsVar)+3:]
	end := strings.IndexByte(s, '\'')
	if end < 0 {
		return nil, false
	}
	var specs []string
	for _, l := range strings.Split(s[:end], "\n") {
		if l != "" {
			specs = append(specs, l)
		}
	}
	return specs, len(specs) > 0
}

// pathspecsVar is the hook script's variable that holds the baked pathspecs, one a line.
const pathspecsVar = "pathspecs"
