package guard

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// copyLike handles cp, mv, ln and the like: sources, then a destination that may be a directory.
func (s *shell) copyLike(u use, p parsed, st *state) {
	srcs := p.ops
	dest, toDir := p.value("t", "target-directory")
	if !toDir {
		if len(srcs) == 0 {
			return
		}
		if u == useLink && len(srcs) == 1 {
			// `ln -s TARGET`: the link goes into the current directory.
			dest, toDir = ".", true
		} else {
			dest, srcs = srcs[len(srcs)-1], srcs[:len(srcs)-1]
			d := text(dest)
			toDir = len(srcs) > 1 || strings.HasSuffix(d, "/") || !p.has("T", "no-target-directory") &&
				isLiteral(dest) && isDir(absJoin(st.cwd, d))
		}
	}
	switch u {
	case useMove:
		s.each(srcs, st.cwd, modeWrite|modeRemove)
	case useLink:
		// A link to a protected place (or to a directory holding one) is a way to write into it.
		s.each(srcs, st.cwd, modeWrite|modeRemove)
	}
	if !toDir {
		s.check(dest, st.cwd, modeWrite, nil)
		return
	}
	for _, src := range srcs {
		base := path.Base(strings.TrimRight(src, "/"))
		if s.check(strings.TrimRight(dest, "/")+"/"+base, st.cwd, modeWrite, nil) {
			return
		}
	}
	if len(srcs) == 0 {
		s.check(dest+"/x", st.cwd, modeWrite, nil)
	}
}

func absJoin(cwd, p string) string {
	if strings.HasPrefix(p, "/") || cwd == "" {
		return p
	}
	return path.Join(cwd, p)
}

// find denies `find ROOT -delete` and `find ROOT -exec rm …` when ROOT holds or lies in a protected place.
func (s *shell) find(args []string, st *state) {
	var roots []string
	i := 0
	for ; i < len(args); i++ {
		a := text(args[i])
		if strings.HasPrefix(a, "-") && len(roots) > 0 || a == "(" || a == "!" || strings.HasPrefix(a, "-") && a != "-H" && a != "-L" && a != "-P" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			roots = append(roots, args[i])
		}
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	writes := false
	for ; i < len(args); i++ {
		switch text(args[i]) {
		case "-delete":
			writes = true
		case "-exec", "-execdir", "-ok", "-okdir":
			if i+1 < len(args) {
				if _, w := writeCommands()[path.Base(text(args[i+1]))]; w {
					writes = true
				}
			}
		case "-fprint", "-fprint0", "-fprintf", "-fls":
			if i+1 < len(args) {
				s.check(args[i+1], st.cwd, modeWrite, nil)
			}
		}
	}
	if writes {
		s.each(roots, st.cwd, modeWrite|modeRemove)
	}
}

// shellCmd parses the script a shell is given: `bash -c '…'`, or a here-document on its stdin.
func (s *shell) shellCmd(args []string, x *syntax.Stmt, st *state, depth int) {
	for i := 0; i < len(args); i++ {
		a := text(args[i])
		if a == "--" || !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "+") {
			if a != "--" {
				return // a script file: not the guard's to read
			}
			break
		}
		if a == "-o" || a == "+o" || a == "-O" || a == "+O" || a == "--rcfile" || a == "--init-file" {
			i++
			continue
		}
		if !strings.HasPrefix(a, "--") && strings.Contains(a, "c") {
			if i+1 < len(args) {
				s.nested(text(args[i+1]), st, depth)
			}
			return
		}
	}
	if src := s.heredocScript(x, st, depth); src != "" {
		s.nested(src, st, depth)
	}
}

func (s *shell) nested(src string, st *state, depth int) {
	if err := s.script(src, st.copy(), depth+1); err != nil && s.denied == nil {
		_ = err // the outer command parsed; what the inner one could not say is not a denial
	}
}
