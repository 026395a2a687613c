package guard

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// word evaluates a word to a path pattern, walking any command it substitutes.
func (s *shell) word(w *syntax.Word, st *state, depth int) string {
	if w == nil {
		return ""
	}
	var b strings.Builder
	for i, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && i == 0 && strings.HasPrefix(l.Value, "~") {
			home := s.g.getenv("HOME")
			rest := l.Value[1:]
			if home != "" && (rest == "" || strings.HasPrefix(rest, "/")) {
				b.WriteString(literalPattern(home) + rest)
				continue
			}
		}
		b.WriteString(s.part(p, st, depth, false))
	}
	return b.String()
}

func (s *shell) part(p syntax.WordPart, st *state, depth int, quoted bool) string {
	switch p := p.(type) {
	case *syntax.Lit:
		if quoted {
			return literalPattern(unescapeDQ(p.Value))
		}
		return p.Value
	case *syntax.SglQuoted:
		return literalPattern(p.Value)
	case *syntax.DblQuoted:
		var b strings.Builder
		for _, q := range p.Parts {
			b.WriteString(s.part(q, st, depth, true))
		}
		return b.String()
	case *syntax.ParamExp:
		return s.param(p, st, depth)
	case *syntax.CmdSubst:
		s.stmts(p.Stmts, st.copy(), depth+1)
		return s.substValue(p.Stmts, st)
	case *syntax.ProcSubst:
		s.stmts(p.Stmts, st.copy(), depth+1)
		return "/dev/fd/63"
	case *syntax.ExtGlob:
		return "*"
	}
	return unknownMark
}

// unescapeDQ removes the backslashes that escape a character inside double quotes.
func unescapeDQ(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("$`\"\\\n", v[i+1]) >= 0 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// param evaluates $X, ${X}, ${X:-default}; anything else is unknown.
func (s *shell) param(p *syntax.ParamExp, st *state, depth int) string {
	if p.Param == nil || p.Excl || p.Length || p.Index != nil || p.Slice != nil || p.Repl != nil {
		return unknownMark
	}
	name := p.Param.Value
	v, set := st.vars[name]
	if !set {
		switch name {
		case "PWD":
			v, set = literalPattern(st.cwd), st.cwd != ""
		default:
			if e := s.g.getenv(name); e != "" && len(name) > 1 {
				v, set = literalPattern(e), true
			}
		}
	}
	if p.Exp != nil {
		switch p.Exp.Op {
		case syntax.DefaultUnset, syntax.DefaultUnsetOrNull:
			if !set || v == "" || v == unknownMark {
				return s.word(p.Exp.Word, st, depth)
			}
			return v
		default:
			return unknownMark
		}
	}
	if !set {
		return unknownMark
	}
	return v
}

// substValue is the output of a command substitution the guard can tell without running it.
func (s *shell) substValue(stmts []*syntax.Stmt, st *state) string {
	if len(stmts) != 1 {
		return unknownMark
	}
	c, ok := stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(c.Assigns) > 0 {
		return unknownMark
	}
	var args []string
	for _, w := range c.Args {
		l, ok := w.Lit(), w.Lit() != ""
		if !ok {
			return unknownMark
		}
		args = append(args, l)
	}
	switch strings.Join(args, " ") {
	case "pwd":
		if st.cwd != "" {
			return literalPattern(st.cwd)
		}
	case "git rev-parse --git-common-dir", "git rev-parse --path-format=absolute --git-common-dir":
		if s.g.commonDir != "" {
			return literalPattern(s.g.commonDir)
		}
	case "git rev-parse --git-path hooks", "git rev-parse --path-format=absolute --git-path hooks":
		if s.g.hooksDir != "" {
			return literalPattern(s.g.hooksDir)
		}
	}
	return unknownMark
}

// lit is a word's text for flags and command names (unknown parts dropped, globs taken literally).
func (s *shell) lit(w *syntax.Word, st *state, depth int) string {
	return text(s.word(w, st, depth))
}

// text is a pattern's literal text.
func text(p string) string { return unescape(strings.ReplaceAll(p, unknownMark, "")) }

// check denies when pattern pat (relative to cwd) reaches a protected place of one of kinds (nil: any).
func (s *shell) check(pat, cwd string, m mode, kinds []Kind) bool {
	if s.denied != nil || pat == "" {
		return s.denied != nil
	}
	t := s.g.target(pat, cwd, m)
	pl := s.g.hit(t)
	if pl == nil {
		return false
	}
	if kinds != nil && !containsKind(kinds, pl.kind) {
		return false
	}
	d := s.g.deny(pl, displayPath(text(pat)))
	s.denied = &d
	return true
}
