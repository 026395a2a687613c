package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// reorder moves every flag before the positional arguments of its command, because urfave/cli v2
// stops parsing flags at the first positional argument (`courier send d.md --dry-run` must be a dry
// run). Global flags (-C, --config) may appear anywhere. An unknown flag is a usage error.
func reorder(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	s := &argSorter{app: app, global: flagArity(app.Flags)}
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		tok := rest[i]
		if tok == "--" {
			s.positional = append(s.positional, rest[i+1:]...)
			break
		}
		if strings.HasPrefix(tok, "-") && len(tok) > 1 {
			takesValue, err := s.flag(tok)
			if err != nil {
				return nil, err
			}
			if takesValue {
				if i+1 >= len(rest) {
					return nil, usageErrorf("flag %s needs a value", tok)
				}
				i++
				*s.dst = append(*s.dst, rest[i])
			}
			continue
		}
		if help, err := s.word(tok); help || err != nil {
			return args, err // `courier help [COMMAND]`: urfave/cli's own help command
		}
	}
	return s.rebuild(args[0]), nil
}

// argSorter sorts the arguments of reorder: global flags, each command level's flags, positionals.
type argSorter struct {
	app                                 *cli.App
	global, cmdFlags                    map[string]bool
	cmd                                 *cli.Command
	globals, cmdPath, flags, positional []string
	dst                                 *[]string // where the last flag went (its value follows it)
}

// flag files flag token tok and reports whether its value is the next argument.
func (s *argSorter) flag(tok string) (bool, error) {
	name, hasValue := flagName(tok)
	s.dst = &s.flags
	takes, ok := s.global[name]
	if ok {
		s.dst = &s.globals
	} else if s.cmd != nil {
		takes, ok = s.cmdFlags[name]
	}
	if !ok {
		if name == "h" || name == "help" || (s.cmd == nil && (name == "v" || name == "version")) {
			*s.dst = append(*s.dst, tok)
			return false, nil
		}
		if s.cmd == nil {
			return false, usageErrorf("unknown flag %s (see courier --help)", tok)
		}
		path := strings.Join(s.cmdPath, " ")
		return false, usageErrorf("unknown flag %s for courier %s (see courier %s --help)", tok, path, path)
	}
	*s.dst = append(*s.dst, tok)
	return takes && !hasValue, nil
}

// word files a positional: the command or subcommand name while one is expected, else an argument.
// help is true for urfave/cli's own help command.
func (s *argSorter) word(tok string) (help bool, err error) {
	var subs []*cli.Command
	if s.cmd == nil {
		subs = s.app.Commands
	} else if len(s.cmd.Subcommands) > 0 && len(s.positional) == 0 {
		subs = s.cmd.Subcommands
	}
	if subs == nil {
		s.positional = append(s.positional, tok)
		return false, nil
	}
	next := findCommand(subs, tok)
	if next == nil && (tok == "help" || tok == "h") {
		return true, nil
	}
	if next == nil {
		return false, usageErrorf("unknown command %q (see courier %s--help)", tok, strings.Join(append(s.cmdPath, ""), " "))
	}
	s.cmd, s.cmdFlags = next, flagArity(next.Flags)
	s.cmdPath = append(s.cmdPath, tok)
	s.flags = append(s.flags, "\x00") // marks where this level's name goes
	return false, nil
}

// rebuild returns the program name, the global flags, each command name followed by the flags that
// came after it, then "--" and the positionals.
func (s *argSorter) rebuild(prog string) []string {
	out := append([]string{prog}, s.globals...)
	level := 0
	var pending []string
	for _, f := range s.flags {
		if f == "\x00" {
			out = append(out, pending...)
			pending = nil
			out = append(out, s.cmdPath[level])
			level++
			continue
		}
		pending = append(pending, f)
	}
	out = append(out, pending...)
	if len(s.positional) > 0 {
		out = append(out, "--")
		out = append(out, s.positional...)
	}
	return out
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// flagArity maps every flag name to whether it takes a value.
func flagArity(fs []cli.Flag) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			m[n] = !isBool
		}
	}
	return m
}

// flagName returns the flag's name without dashes and whether the token carries =value.
func flagName(tok string) (string, bool) {
	name := strings.TrimLeft(tok, "-")
	if n, _, ok := strings.Cut(name, "="); ok {
		return n, true
	}
	return name, false
}
