package guard

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// use says how a command uses its operands.
type use int

const (
	useRemove    use = iota // every operand is removed (or moved away)
	useWrite                // every operand is written
	useCopy                 // the last operand (or -t DIR) is written, the others are read
	useMove                 // the others are removed, the last (or -t DIR) is written
	useLink                 // the last (or -t DIR) is written; the others must not lead into a protected place
	useModeFirst            // the first operand is a mode or owner, the rest are changed
	useSed                  // sed: with -i, the files after the script are written
	usePerl                 // perl/ruby: with -i, the files after the script are written
	useDD                   // dd: of=FILE is written
	useFind                 // find: -delete or -exec of a writing command changes what the roots hold
	useOutput               // curl -o FILE, wget -O FILE
)

// spec describes a command that writes: which of its flags take a value, and how operands are used.
type spec struct {
	use      use
	values   string   // short flags that take a value
	long     []string // long flags that take a value
	optional string   // short flags whose value, if any, is attached (sed -i.bak)
}

// writeCommands lists the commands whose operands the guard checks. A function, not a package
// variable, so that it costs nothing unless a shell command is checked.
func writeCommands() map[string]spec {
	return map[string]spec{
		"rm": {use: useRemove}, "rmdir": {use: useRemove}, "unlink": {use: useRemove},
		"shred":    {use: useRemove, values: "nsu"},
		"touch":    {use: useWrite, values: "rdt"},
		"mkdir":    {use: useWrite, values: "m"},
		"mkfifo":   {use: useWrite, values: "m"},
		"tee":      {use: useWrite},
		"truncate": {use: useWrite, values: "sr", long: []string{"size", "reference"}},
		"chmod":    {use: useModeFirst},
		"chown":    {use: useModeFirst},
		"chgrp":    {use: useModeFirst},
		"cp":       {use: useCopy, values: "tS", long: []string{"target-directory", "suffix"}},
		"install":  {use: useCopy, values: "tSmogt", long: []string{"target-directory", "suffix", "mode", "owner", "group"}},
		"rsync":    {use: useCopy, values: "ef", long: []string{"rsh", "filter", "exclude", "include"}},
		"mv":       {use: useMove, values: "tS", long: []string{"target-directory", "suffix"}},
		"ln":       {use: useLink, values: "tS", long: []string{"target-directory", "suffix"}},
		"sed":      {use: useSed, values: "efl", long: []string{"expression", "file", "line-length"}, optional: "i"},
		"perl":     {use: usePerl, values: "eEMmI", optional: "i"},
		"ruby":     {use: usePerl, values: "eEI", optional: "i"},
		"dd":       {use: useDD},
		"find":     {use: useFind},
		"curl":     {use: useOutput, values: "oHdXuAeEbcDFKTwxy", long: []string{"output"}},
		"wget":     {use: useOutput, values: "OoPaeU", long: []string{"output-document", "directory-prefix"}},
	}
}

// flag is one parsed option: its name without dashes and its value, if it took one.
type flag struct{ name, value string }

// parsed is a command line split into options and operands (operands stay patterns).
type parsed struct {
	flags []flag
	ops   []string
}

func (p parsed) has(names ...string) bool {
	for _, f := range p.flags {
		for _, n := range names {
			if f.name == n {
				return true
			}
		}
	}
	return false
}

func (p parsed) value(names ...string) (string, bool) {
	for _, f := range p.flags {
		for _, n := range names {
			if f.name == n {
				return f.value, true
			}
		}
	}
	return "", false
}

// parseArgs splits args (patterns, without the command name) getopt-style.
func parseArgs(args []string, sp spec) parsed {
	var p parsed
	for i := 0; i < len(args); i++ {
		a := text(args[i])
		switch {
		case a == "--":
			p.ops = append(p.ops, args[i+1:]...)
			return p
		case strings.HasPrefix(a, "--"):
			name, val, ok := strings.Cut(a[2:], "=")
			if !ok && contains(sp.long, name) && i+1 < len(args) {
				i++
				val = args[i]
			}
			p.flags = append(p.flags, flag{name, val})
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j : j+1]
				if strings.Contains(sp.optional, c) {
					p.flags = append(p.flags, flag{c, a[j+1:]})
					break
				}
				if strings.Contains(sp.values, c) {
					v := a[j+1:]
					if v == "" && i+1 < len(args) {
						i++
						v = args[i]
					}
					p.flags = append(p.flags, flag{c, v})
					break
				}
				p.flags = append(p.flags, flag{c, ""})
			}
		default:
			p.ops = append(p.ops, args[i])
		}
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// run decides on one command and its arguments (patterns), after wrappers such as sudo or env.
func (s *shell) run(args []string, x *syntax.Stmt, st *state, depth int) {
	for len(args) > 0 && s.denied == nil {
		name := path.Base(text(args[0]))
		rest := args[1:]
		switch name {
		case "sudo", "doas", "command", "builtin", "exec", "nohup", "time", "nice", "stdbuf", "ionice",
			"chronic", "unbuffer", "timeout", "xargs", "setsid":
			args = skipWrapperFlags(name, rest)
			continue
		case "env":
			args = s.env(rest, st)
			continue
		}
		s.simple(name, rest, x, st, depth)
		return
	}
}

// skipWrapperFlags drops a wrapper's own options (and a timeout's duration) before the command it runs.
func skipWrapperFlags(name string, args []string) []string {
	values := map[string]string{"sudo": "ugCDhpUrt", "nice": "n", "timeout": "sk", "xargs": "IdEaLnPs",
		"stdbuf": "ioe", "ionice": "cnp"}[name]
	for len(args) > 0 {
		a := text(args[0])
		if a == "--" {
			return args[1:]
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		args = args[1:]
		if len(a) == 2 && strings.Contains(values, a[1:]) && len(args) > 0 {
			args = args[1:]
		}
	}
	if name == "timeout" && len(args) > 0 {
		args = args[1:] // the duration
	}
	return args
}

// env handles `env [-i] [-u NAME] [-C DIR] [NAME=VALUE...] CMD`, returning the command it runs.
func (s *shell) env(args []string, st *state) []string {
	for len(args) > 0 {
		a := text(args[0])
		switch {
		case a == "-u" || a == "--unset" || a == "-C" || a == "--chdir":
			if len(args) > 1 && (a == "-C" || a == "--chdir") {
				st.cwd = s.cd(args[1], st)
			}
			args = args[min(2, len(args)):]
		case strings.HasPrefix(a, "-"):
			args = args[1:]
		case strings.Contains(a, "="):
			k, v, _ := strings.Cut(args[0], "=")
			if s.bypassVar(text(k), v) {
				return nil
			}
			args = args[1:]
		default:
			return args
		}
	}
	return nil
}

// cd returns the directory `cd DIR` leads to from st ("" when unknown).
func (s *shell) cd(dir string, st *state) string {
	d := text(dir)
	if hasGlob(dir) || d == "-" {
		return ""
	}
	if strings.HasPrefix(d, "/") {
		return resolve(path.Clean(d))
	}
	if st.cwd == "" {
		return ""
	}
	return resolve(path.Join(st.cwd, d))
}

// simple decides on one command name with its arguments.
func (s *shell) simple(name string, args []string, x *syntax.Stmt, st *state, depth int) {
	switch name {
	case "cd", "pushd":
		switch {
		case len(args) == 0:
			st.cwd = s.g.getenv("HOME")
		default:
			st.cwd = s.cd(args[len(args)-1], st)
		}
		return
	case "popd":
		st.cwd = ""
		return
	case "unset":
		for _, a := range args {
			delete(st.vars, text(a))
		}
		return
	case "bash", "sh", "zsh", "dash", "ksh", "mksh", "su":
		s.shellCmd(args, x, st, depth)
		return
	case "eval":
		var parts []string
		for _, a := range args {
			parts = append(parts, text(a))
		}
		_ = s.script(strings.Join(parts, " "), st.copy(), depth+1)
		return
	case "git":
		s.git(args, st)
		return
	case "courier":
		s.courier(args)
		return
	}
	s.writer(name, args, st)
}

// writer decides on a command that writes the files its arguments name (writeCommands).
func (s *shell) writer(name string, args []string, st *state) {
	sp, ok := writeCommands()[name]
	if !ok {
		return
	}
	if name == "chmod" {
		args = chmodModes(args)
	}
	p := parseArgs(args, sp)
	switch sp.use {
	case useRemove:
		s.each(p.ops, st.cwd, modeWrite|modeRemove)
	case useWrite:
		s.each(p.ops, st.cwd, modeWrite)
	case useModeFirst:
		m := modeWrite
		if p.has("R", "recursive") {
			m |= modeRemove
		}
		ops := p.ops
		if _, ref := p.value("reference"); !ref && len(ops) > 0 {
			ops = ops[1:]
		}
		s.each(ops, st.cwd, m)
	case useCopy, useMove, useLink:
		s.copyLike(sp.use, p, st)
	case useSed, usePerl:
		if _, inPlace := p.value("i", "in-place"); !inPlace {
			return
		}
		ops := p.ops
		if !p.has("e", "f", "expression", "file") && len(ops) > 0 {
			ops = ops[1:] // the script
		}
		s.each(ops, st.cwd, modeWrite)
	case useDD:
		for _, a := range p.ops {
			if v, ok := strings.CutPrefix(a, "of="); ok {
				s.check(v, st.cwd, modeWrite, nil)
			}
		}
	case useFind:
		s.find(args, st)
	case useOutput:
		for _, f := range p.flags {
			if f.name == "o" || f.name == "O" || f.name == "output" || f.name == "output-document" {
				s.check(f.value, st.cwd, modeWrite, nil)
			}
			if f.name == "P" || f.name == "directory-prefix" {
				s.check(f.value+"/x", st.cwd, modeWrite, nil)
			}
		}
	}
}

// chmodModes protects symbolic modes that start with a dash (`chmod -x FILE`) from being taken for
// options, by moving the first one behind `--`.
func chmodModes(args []string) []string {
	for i, a := range args {
		t := text(a)
		if len(t) > 1 && t[0] == '-' && strings.Trim(t[1:], "rwxXst") == "" {
			out := append([]string{}, args[:i]...)
			out = append(out, args[i+1:]...)
			n := 0
			for n < len(out) && strings.HasPrefix(text(out[n]), "-") {
				n++
			}
			return append(append(out[:n:n], "--", a), out[n:]...)
		}
	}
	return args
}

func (s *shell) each(ops []string, cwd string, m mode) {
	for _, o := range ops {
		if s.check(o, cwd, m, nil) {
			return
		}
	}
}
