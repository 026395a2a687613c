package guard

import (
	"encoding/json"
	"errors"
	goflag "flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// maxEvent bounds the tool-call event read from stdin (a Write event carries the whole file).
const maxEvent = 64 << 20

// ExitDeny is the exit code of a denied call: the code that makes Claude Code block it (docs/agents.md).
const ExitDeny = 2

// CheckOptions is one `courier guard check` (or `courier-guard`) invocation.
type CheckOptions struct {
	Dir        string // the directory courier runs in (after -C): relative paths start here
	ConfigFlag string // --config ("" for $COURIER_CONFIG or the default)
	Path       string // --path: decide on this path instead of reading an event
	Write      bool   // --write: with Path, the tool writes it
	JSON       bool   // --json: deny with exit 0 and Claude Code's hookSpecificOutput on stdout
	Getenv     func(string) string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
}

// RunCheck answers one event read from Stdin (or o.Path) and returns the exit code: [ExitDeny] with
// the reason on stderr to deny, 0 for no objection (or a --json deny). It never fails because of its
// own trouble: what it cannot read is one line on stderr and no objection.
func RunCheck(o CheckOptions) int {
	warn := func(format string, args ...any) { fmt.Fprintf(o.Stderr, "courier: guard: "+format+"\n", args...) }
	var (
		d    Decision
		note error
	)
	if o.Path != "" {
		g, _, n := ForDir(o.Dir, o.Dir, o.ConfigFlag, o.Getenv)
		if n != "" {
			warn("%s", n)
		}
		d = g.CheckPath(o.Path, o.Dir, o.Write)
	} else {
		data, err := io.ReadAll(io.LimitReader(o.Stdin, maxEvent))
		if err != nil {
			warn("no objection: read the event: %v", err)
			return 0
		}
		dir := EventDir(data, o.Dir)
		g, _, n := ForDir(dir, o.Dir, o.ConfigFlag, o.Getenv)
		if n != "" {
			warn("%s", n)
		}
		d, note = g.Check(data, dir)
	}
	switch {
	case !d.Deny && note != nil:
		warn("no objection: %v", note)
	case !d.Deny:
	case o.JSON:
		enc := json.NewEncoder(o.Stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d.ClaudeDeny()); err != nil {
			fmt.Fprintf(o.Stderr, "courier: %v\n", err)
			return 1
		}
	default:
		fmt.Fprintln(o.Stderr, d.Reason)
		return ExitDeny
	}
	return 0
}

// Main is the whole `courier-guard` command, the lean binary that hooks run: `courier guard check`
// with its flags and global flags (-C DIR, --config FILE, --path P, --write, --json) and nothing
// else, so that it starts in a fraction of courier's time (README.md, "Agents"). It returns the exit
// code; version is what --version prints.
func Main(args []string, version string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "courier: internal error: %v\n", r)
			code = 1 // a non-blocking error for Claude Code, never a deny
		}
	}()
	fs := goflag.NewFlagSet("courier-guard", goflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("C", "", "run as if started in `DIR`")
	o := CheckOptions{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	fs.StringVar(&o.ConfigFlag, "config", "", "configuration `FILE` (default: .monoco/courier.yaml of the main worktree; also $COURIER_CONFIG)")
	fs.StringVar(&o.Path, "path", "", "decide on `PATH` instead of reading an event")
	fs.BoolVar(&o.Write, "write", false, "with --path: the tool writes, edits or removes PATH (reading is never denied)")
	fs.BoolVar(&o.JSON, "json", false, "deny with exit 0 and Claude Code's hookSpecificOutput JSON on stdout")
	showVersion := fs.Bool("version", false, "print the version")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, goflag.ErrHelp):
		fmt.Fprintln(stdout, "courier-guard: `courier guard check` for agents' hooks: decide on one tool-call event (JSON on stdin);\n"+
			"exit 2 with the reason on stderr to deny, exit 0 for no objection. See README.md, \"Agents\".\n\nFlags:")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "courier: %v\n", err)
		return ExitDeny // a usage error, as courier's
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "courier: courier-guard takes no arguments, got %q\n", fs.Args())
		return ExitDeny
	case *showVersion:
		fmt.Fprintf(stdout, "courier-guard %s (%s)\n", version, runtime.Version())
		return 0
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "courier: %v\n", err)
		return 1
	}
	o.Dir = wd
	if *dir != "" {
		o.Dir = *dir
		if !filepath.IsAbs(o.Dir) {
			o.Dir = filepath.Join(wd, o.Dir)
		}
		if st, err := os.Stat(o.Dir); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "courier: -C %s: not a directory\n", *dir)
			return ExitDeny
		}
	}
	return RunCheck(o)
}
