package guard

import (
	"os"
	"path"
	"path/filepath"
	"strings"
)

// A path pattern is how the guard sees a path a command names: glob syntax (`*`, `?`, `[…]`, `\`
// escapes, as in [path.Match]) for what the shell would expand, with unknownMark standing for an
// expansion the guard cannot resolve (an unset variable, a command substitution).
const unknownMark = "\x00"

// mode says what an operation does to its target.
type mode uint8

const (
	modeWrite  mode = 1 << iota // creates or changes the target: it hits a place it lies in
	modeRemove                  // removes or moves the target away: it also hits every place below it
)

// literalPattern is the pattern of a path taken literally.
func literalPattern(s string) string {
	if !strings.ContainsAny(s, `*?[\`+unknownMark) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return strings.ReplaceAll(b.String(), unknownMark, "")
}

// isLiteral reports whether a pattern component names exactly one name.
func isLiteral(c string) bool { return !strings.ContainsAny(c, `*?[\`+unknownMark) }

// unescape turns a pattern with no glob into its literal text.
func unescape(c string) string {
	if !strings.Contains(c, `\`) {
		return c
	}
	var b strings.Builder
	esc := false
	for _, r := range c {
		if r == '\\' && !esc {
			esc = true
			continue
		}
		esc = false
		b.WriteRune(r)
	}
	return b.String()
}

// hasGlob reports whether a pattern component has an unescaped glob character or an unknown part.
func hasGlob(c string) bool {
	esc := false
	for _, r := range c {
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '*' || r == '?' || r == '[' || r == 0:
			return true
		}
	}
	return false
}

// target is a path pattern made absolute: comps are the components below "/" (tail false), or, when
// it starts with an unknown expansion, the components after it (tail true: the path ends with them).
type target struct {
	comps [][]string // the lexical components, then (if different) those with symlinks resolved
	tail  bool
	mode  mode
}

// target turns pattern pat, relative to cwd ("" = unknown), into a target.
func (g *Guard) target(pat, cwd string, m mode) target {
	t := target{mode: m}
	switch {
	case strings.HasPrefix(pat, "/"):
	case strings.HasPrefix(pat, unknownMark) || cwd == "":
		t.tail = true
		pat = strings.TrimLeft(strings.TrimPrefix(pat, unknownMark), "/")
		t.comps = [][]string{cleanComps(pat)}
		return t
	default:
		pat = literalPattern(cwd) + "/" + pat
	}
	lex := cleanComps(pat)
	t.comps = [][]string{lex}
	// Resolve symbolic links along the literal part: a link into the mailbox is the mailbox.
	n := 0
	for n < len(lex) && !hasGlob(lex[n]) {
		n++
	}
	lit := make([]string, n)
	for i := range n {
		lit[i] = unescape(lex[i])
	}
	prefix := "/" + strings.Join(lit, "/")
	if real := resolve(prefix); real != prefix {
		alt := splitPath(real)
		for i := range alt {
			alt[i] = literalPattern(alt[i])
		}
		t.comps = append(t.comps, append(alt, lex[n:]...))
	}
	return t
}

// cleanComps splits a pattern into components, dropping "." and resolving ".." lexically.
func cleanComps(pat string) []string {
	var out []string
	for _, c := range strings.Split(pat, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// hit returns the first protected place t reaches, or nil.
func (g *Guard) hit(t target) *place {
	for i := range g.places {
		pl := &g.places[i]
		for _, pc := range [][]string{splitPath(pl.path), splitPath(pl.real)} {
			for _, tc := range t.comps {
				if t.tail && hitTail(tc, pc, pl.file, t.mode) || !t.tail && hitAbs(tc, pc, pl.file, t.mode) {
					return pl
				}
			}
			if pl.real == pl.path {
				break
			}
		}
	}
	return nil
}

// hitAbs: an absolute target tc reaches place pc when it lies in it, or (removing) contains it.
func hitAbs(tc, pc []string, file bool, m mode) bool {
	switch {
	case len(tc) >= len(pc):
		if file && len(tc) > len(pc) {
			return false
		}
		return matchComps(tc[:len(pc)], pc)
	default:
		return m&modeRemove != 0 && matchComps(tc, pc[:len(tc)])
	}
}

// hitTail: a target known only by its last components tc (after an unknown directory) reaches place pc
// when those components continue pc's own path into the place, e.g. `$ROOT/.monoco/mailbox/x`, or
// (removing) end inside it, e.g. `rm -r $ROOT/.monoco`. The overlap must be distinctive: two components,
// or one dot-name such as `.git`; `$DIR/x` alone is not denied.
func hitTail(tc, pc []string, file bool, m mode) bool {
	if len(tc) == 0 {
		return false
	}
	for i := range pc {
		k := min(len(tc), len(pc)-i)
		if !matchComps(tc[:k], pc[i:i+k]) {
			continue
		}
		if k < 2 && !(isLiteral(tc[0]) && strings.HasPrefix(tc[0], ".") && len(tc[0]) > 2) {
			continue
		}
		reaches := i+k == len(pc) && (!file || k == len(tc))
		if reaches || m&modeRemove != 0 && k == len(tc) {
			return true
		}
	}
	return false
}

// matchComps matches pattern components against names, pairwise.
func matchComps(pats, names []string) bool {
	for i, p := range pats {
		if !matchComp(p, names[i]) {
			return false
		}
	}
	return true
}

// matchComp matches one pattern component against one name, as the shell would: a glob does not
// match a leading dot unless it spells it; an unknown expansion may be anything.
func matchComp(p, name string) bool {
	if !hasGlob(p) {
		return unescape(p) == name
	}
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(p, ".") && !strings.HasPrefix(p, unknownMark) {
		return false
	}
	// The shell's [!…] is path.Match's [^…].
	ok, err := path.Match(strings.ReplaceAll(strings.ReplaceAll(p, unknownMark, "*"), "[!", "[^"), name)
	return ok && err == nil
}

// resolve returns p with the symbolic links of its longest existing prefix resolved.
func resolve(p string) string {
	if p == "" {
		return p
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	dir, base := filepath.Split(p)
	dir = filepath.Clean(dir)
	if dir == p || base == "" {
		return p
	}
	return filepath.Join(resolve(dir), base)
}

// within returns p relative to dir (slash-separated) when p is dir or lies below it.
func within(p, dir string) (string, bool) {
	if dir == "" {
		return "", false
	}
	r, err := filepath.Rel(dir, p)
	if err != nil || !(r == "." || filepath.IsLocal(r)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

func splitPath(p string) []string { return cleanComps(filepath.ToSlash(p)) }

func clean(p string) string {
	if p == "" {
		return ""
	}
	return filepath.Clean(p)
}

// isDir reports whether a literal pattern names an existing directory (following links).
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
