package guard

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// maxDepth bounds nested `bash -c`, `eval` and command substitutions the guard parses.
const maxDepth = 8

// maxLoopItems bounds the items of a `for` loop the guard tries one by one.
const maxLoopItems = 16

// CheckCommand decides on a shell command run in cwd (Bash syntax). err reports a command the guard
// could not parse in full: the decision then covers what it could read (a write it can resolve into a
// protected place is still denied), and the caller says why on stderr.
func (g *Guard) CheckCommand(cmd, cwd string) (Decision, error) {
	s := &shell{g: g}
	err := s.script(cmd, &state{cwd: cwd, vars: map[string]string{}}, 0)
	if s.denied != nil {
		return *s.denied, nil
	}
	return Decision{}, err
}

// shell walks a parsed command and stops at the first denial.
type shell struct {
	g      *Guard
	denied *Decision
}

// state is what the walk knows of the shell at a point: its directory and the variables set so far.
type state struct {
	cwd  string            // "" = unknown
	vars map[string]string // name → value as a path pattern (unknownMark: unknown)
}

func (st *state) copy() *state {
	v := make(map[string]string, len(st.vars))
	for k, x := range st.vars {
		v[k] = x
	}
	return &state{cwd: st.cwd, vars: v}
}

// script parses src and walks it; a parse error falls back to a word scan.
func (s *shell) script(src string, st *state, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("commands nested more than %d deep", maxDepth)
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err == nil {
		s.stmts(f.Stmts, st, depth)
		return nil
	}
	// Walk what a forgiving parse recovers, else scan the words: a write it can resolve is still denied.
	if part, perr := syntax.NewParser(syntax.Variant(syntax.LangBash), syntax.RecoverErrors(4)).Parse(strings.NewReader(src), ""); perr == nil {
		s.stmts(part.Stmts, st, depth)
	}
	if s.denied == nil {
		s.fallback(src, st)
	}
	return fmt.Errorf("cannot parse the command: %w", err)
}

// fallback scans an unparsable command word by word: a write-looking command whose words resolve into
// a protected place is denied.
func (s *shell) fallback(src string, st *state) {
	writes := strings.Contains(src, ">")
	words := strings.FieldsFunc(src, func(r rune) bool { return strings.ContainsRune(" \t\n;&|()<>'\"`", r) })
	for _, w := range words {
		if _, ok := writeCommands()[path.Base(w)]; ok {
			writes = true
		}
	}
	if !writes {
		return
	}
	for _, w := range words {
		if s.check(literalPattern(w), st.cwd, modeWrite|modeRemove, nil) {
			return
		}
	}
}

func (s *shell) stmts(list []*syntax.Stmt, st *state, depth int) {
	for _, x := range list {
		if s.denied != nil {
			return
		}
		s.stmt(x, st, depth)
	}
}

func (s *shell) stmt(x *syntax.Stmt, st *state, depth int) {
	if x == nil {
		return
	}
	for _, r := range x.Redirs {
		if r.Word != nil {
			pat := s.word(r.Word, st, depth)
			switch r.Op {
			case syntax.RdrOut, syntax.AppOut, syntax.RdrInOut, syntax.RdrClob, syntax.AppClob,
				syntax.RdrAll, syntax.AppAll, syntax.RdrAllClob, syntax.AppAllClob:
				s.check(pat, st.cwd, modeWrite, nil)
			case syntax.DplOut:
				if !isFD(pat) {
					s.check(pat, st.cwd, modeWrite, nil)
				}
			}
		}
		if r.Hdoc != nil {
			s.word(r.Hdoc, st, depth)
		}
	}
	if s.denied != nil {
		return
	}
	s.command(x, st, depth)
}

func isFD(p string) bool {
	return p == "-" || strings.Trim(p, "0123456789") == "" && p != ""
}

func (s *shell) command(x *syntax.Stmt, st *state, depth int) {
	switch c := x.Cmd.(type) {
	case *syntax.CallExpr:
		s.call(c, x, st, depth)
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			s.stmt(c.X, st.copy(), depth)
			s.stmt(c.Y, st.copy(), depth)
			return
		}
		s.stmt(c.X, st, depth)
		s.stmt(c.Y, st, depth)
	case *syntax.Subshell:
		s.stmts(c.Stmts, st.copy(), depth)
	case *syntax.Block:
		s.stmts(c.Stmts, st, depth)
	case *syntax.IfClause:
		for ic := c; ic != nil; ic = ic.Else {
			s.stmts(ic.Cond, st, depth)
			s.stmts(ic.Then, st, depth)
		}
	case *syntax.WhileClause:
		s.stmts(c.Cond, st, depth)
		s.stmts(c.Do, st, depth)
	case *syntax.ForClause:
		wi, ok := c.Loop.(*syntax.WordIter)
		if !ok {
			s.stmts(c.Do, st, depth)
			return
		}
		var items []string
		for _, w := range wi.Items {
			items = append(items, s.word(w, st, depth))
		}
		if len(items) == 0 || len(items) > maxLoopItems {
			items = []string{unknownMark}
		}
		for _, it := range items {
			inner := st.copy()
			inner.vars[wi.Name.Value] = it
			s.stmts(c.Do, inner, depth)
		}
	case *syntax.CaseClause:
		s.word(c.Word, st, depth)
		for _, it := range c.Items {
			s.stmts(it.Stmts, st, depth)
		}
	case *syntax.FuncDecl:
		s.stmt(c.Body, st.copy(), depth)
	case *syntax.DeclClause:
		s.decl(c, st, depth)
	case *syntax.TimeClause:
		s.stmt(c.Stmt, st, depth)
	case *syntax.CoprocClause:
		s.stmt(c.Stmt, st.copy(), depth)
	}
}

// decl handles export, declare, local, readonly and typeset.
func (s *shell) decl(c *syntax.DeclClause, st *state, depth int) {
	exported := c.Variant.Value == "export"
	for _, a := range c.Args {
		if a.Name == nil {
			if a.Value != nil && strings.HasPrefix(s.lit(a.Value, st, depth), "-") && strings.Contains(s.lit(a.Value, st, depth), "x") {
				exported = true
			}
			continue
		}
		if a.Naked {
			if exported && a.Name.Value == "COURIER_SKIP" && skips(st.vars["COURIER_SKIP"]) {
				s.deny(reasonSkip())
				return
			}
			continue
		}
		v := s.assignValue(a, st, depth)
		st.vars[a.Name.Value] = v
		if s.bypassVar(a.Name.Value, v) {
			return
		}
	}
}

// bypassVar denies an assignment that turns courier's hooks off: COURIER_SKIP, or git configuration
// through the environment (GIT_CONFIG_PARAMETERS, GIT_CONFIG_KEY_n/VALUE_n) naming core.hooksPath.
func (s *shell) bypassVar(name, value string) bool {
	switch {
	case name == "COURIER_SKIP" && skips(value):
		s.deny(reasonSkip())
	case strings.HasPrefix(name, "GIT_CONFIG") && strings.Contains(strings.ToLower(text(value)), "core.hookspath"):
		s.deny(reasonHooksPath())
	default:
		return false
	}
	return true
}

// skips reports whether a COURIER_SKIP value may turn courier's hooks off.
func skips(v string) bool { return v != "" && v != "0" }

func (s *shell) assignValue(a *syntax.Assign, st *state, depth int) string {
	if a.Array != nil {
		for _, e := range a.Array.Elems {
			if e.Value != nil {
				s.word(e.Value, st, depth)
			}
		}
		return unknownMark
	}
	if a.Value == nil {
		return ""
	}
	v := s.word(a.Value, st, depth)
	if a.Append {
		return st.vars[a.Name.Value] + v
	}
	return v
}

// call handles a simple command: its assignments, then what it runs.
func (s *shell) call(c *syntax.CallExpr, x *syntax.Stmt, st *state, depth int) {
	env := map[string]string{}
	for _, a := range c.Assigns {
		if a.Name == nil {
			continue
		}
		v := s.assignValue(a, st, depth)
		if s.bypassVar(a.Name.Value, v) {
			return
		}
		env[a.Name.Value] = v
	}
	if len(c.Args) == 0 {
		for k, v := range env {
			st.vars[k] = v
		}
		return
	}
	args := make([]string, 0, len(c.Args))
	for _, w := range c.Args {
		args = append(args, s.word(w, st, depth))
	}
	if s.denied != nil {
		return
	}
	s.run(args, x, st, depth)
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func (s *shell) deny(reason string) {
	if s.denied == nil {
		s.denied = &Decision{Deny: true, Reason: reason}
	}
}

// heredocScript is the text a shell reads from a here-document or here-string of x, or "".
func (s *shell) heredocScript(x *syntax.Stmt, st *state, depth int) string {
	for _, r := range x.Redirs {
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			if r.Hdoc == nil {
				continue
			}
			var b bytes.Buffer
			if err := syntax.NewPrinter().Print(&b, r.Hdoc); err == nil {
				return b.String()
			}
		case syntax.WordHdoc:
			return s.lit(r.Word, st, depth)
		}
	}
	return ""
}
