package main

import (
	"slices"
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
	global, local := flagArity(app.Flags), map[string]bool{}
	var globals, positional, path []string
	levels := [][]string{nil} // the flags before any command, then each command's name and flags
	var cmd *cli.Command
	for i := 1; i < len(args); i++ {
		tok := args[i]
		switch {
		case tok == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
		case !strings.HasPrefix(tok, "-") || tok == "-":
			next, help, err := subcommand(app, cmd, tok, path, len(positional) > 0)
			switch {
			case err != nil || help:
				return args, err // `courier help [COMMAND]`: urfave/cli's own help command
			case next == nil:
				positional = append(positional, tok)
			default:
				cmd, local, path = next, flagArity(next.Flags), append(path, tok)
				levels = append(levels, []string{tok})
			}
		default:
			name, _, hasValue := strings.Cut(strings.TrimLeft(tok, "-"), "=")
			dst := &levels[len(levels)-1]
			takes, ok := global[name]
			if ok {
				dst = &globals
			} else if cmd != nil {
				takes, ok = local[name]
			}
			if !ok && name != "h" && name != "help" && (cmd != nil || name != "v" && name != "version") {
				return nil, unknownFlag(tok, path)
			}
			*dst = append(*dst, tok)
			if takes && !hasValue {
				if i+1 >= len(args) {
					return nil, usageErrorf("flag %s needs a value", tok)
				}
				i++
				*dst = append(*dst, args[i])
			}
		}
	}
	out := append(append([]string{args[0]}, globals...), slices.Concat(levels...)...)
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out, nil
}

// subcommand is the command word tok names below cmd (the app's commands when nil); nil when tok is
// a positional argument (cmd has no subcommands, or one came already); help is true for urfave/cli's
// own help command.
func subcommand(app *cli.App, cmd *cli.Command, tok string, path []string, afterPositional bool) (next *cli.Command, help bool, err error) {
	subs := app.Commands
	if cmd != nil {
		if len(cmd.Subcommands) == 0 || afterPositional {
			return nil, false, nil
		}
		subs = cmd.Subcommands
	}
	if i := slices.IndexFunc(subs, func(c *cli.Command) bool { return c.HasName(tok) }); i >= 0 {
		return subs[i], false, nil
	}
	if tok == "help" || tok == "h" {
		return nil, true, nil
	}
	return nil, false, usageErrorf("unknown command %q (see courier %s--help)", tok, strings.Join(append(path, ""), " "))
}

func unknownFlag(tok string, path []string) error {
	if p := strings.Join(path, " "); p != "" {
		return usageErrorf("unknown flag %s for courier %s (see courier %s --help)", tok, p, p)
	}
	return usageErrorf("unknown flag %s (see courier --help)", tok)
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
