package hooks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Options is what git hands a hook and which files the caller wants to hear about.
type Options struct {
	Args   []string            // git's arguments to the hook
	Stdin  io.Reader           // git's stdin (post-rewrite: "old new" lines); nil is empty
	Stdout io.Writer           // the chained hook's stdout
	Stderr io.Writer           // the chained hook's stderr
	Getenv func(string) string // COURIER_SKIP and GIT_INDEX_FILE come from here; nil: none is set
	// Match reports whether path (slash-separated, relative to the worktree top) is a file the caller
	// wants (a draft). nil matches nothing.
	Match func(path string) bool
	// Under, when set, is a path prefix (e.g. "Issues/") outside which Match never reports true; commits
	// are then diffed only below it. Optional: it only saves work.
	Under string
	// MaxSize, when positive, is the largest blob whose content is read: a matching file over it is
	// reported with its Size and no Content, its size looked up without reading it.
	MaxSize int64
	// Notice reports whether a staged path that Match does not want is one the caller wants named
	// anyway (pre-commit only: e.g. a mailbox path, a misplaced draft); nothing of it is read. nil
	// notices nothing.
	Notice func(path string) bool
}

// Result is what a hook run found.
type Result struct {
	// Files are, for pre-commit, the matching files staged in the index whose blob differs from HEAD's;
	// for post-commit and post-rewrite, the matching files the new or rewritten commits added or changed.
	Files []File
	// Noticed are the staged paths (pre-commit) that differ from HEAD and that Options.Notice reported,
	// in index order.
	Noticed []string
	// Skipped is true when COURIER_SKIP=1 said not to validate or deliver anything: Files then name
	// what the hook would have looked at (paths and blob ids, no content), so that the caller can say
	// what it skipped.
	Skipped bool
	// Notes are lines for the user (without a "courier: " prefix); none of them stops the hook.
	Notes []string
}

// ErrUnknownHook is returned by [Run] for a hook other than pre-commit, post-commit and post-rewrite.
var ErrUnknownHook = errors.New("unknown hook")

// ChainedError is returned by [Run] when the project's own pre-commit hook failed: the commit is
// blocked with its exit code.
type ChainedError struct {
	Path string // the chained hook
	Code int    // its exit code (1 when it could not run or was killed)
}

func (e *ChainedError) Error() string {
	return fmt.Sprintf("the project's pre-commit hook (%s) exited %d: commit blocked", e.Path, e.Code)
}

// Run runs hook name (pre-commit, post-commit or post-rewrite) and reports the matching files it
// touched; what to do with them (validate, deliver) is the caller's. It never prints: its notes are in
// the Result, which is non-nil even with an error.
//
// A preserved foreign hook (`<name>.courier-chained` in r.HooksDir, if executable, as git requires) runs
// first with the same args and stdin (post-rewrite's stdin is buffered so both get it) and, when it is a
// sh, bash or dash script, with $0 the hook's own path (see [shellOf]). For pre-commit its
// failure is a [*ChainedError] (the commit is blocked, no files are read); for the others it is a note and
// the run carries on. Then:
//
//   - pre-commit reads the index git hands the hook ($GIT_INDEX_FILE, relative to r.Top; default
//     GitDir/index); an index it cannot read is an error (COURIER_SKIP=1 commits anyway);
//   - post-commit reads what HEAD added or changed (nothing for a merge);
//   - post-rewrite reads every rewritten commit (stdin "old new" lines).
//
// Each blob's size is looked up before it is read, and only regular files up to o.MaxSize are read
// (README.md, "Drafts"). With Getenv("COURIER_SKIP") "1" nothing is read: the Result is Skipped and
// names the files, so that the caller can say what it skipped; a failure to list them is a note.
//
// The post-* hooks' errors say what could not be read; a caller must not block on them.
func Run(ctx context.Context, r *Repo, name string, o Options) (*Result, error) {
	res := &Result{}
	switch name {
	case "pre-commit", "post-commit", "post-rewrite":
	default:
		return res, fmt.Errorf("%w %q (courier runs pre-commit, post-commit and post-rewrite)", ErrUnknownHook, name)
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Match == nil {
		o.Match = func(string) bool { return false }
	}
	var input []byte
	if name == "post-rewrite" && o.Stdin != nil {
		b, err := io.ReadAll(o.Stdin)
		if err != nil {
			res.note("post-rewrite: read stdin: %v", err)
		}
		input = b
		o.Stdin = bytes.NewReader(input)
	}
	if code, ran := runChained(ctx, r, name, o, res); ran && code != 0 {
		chained := filepath.Join(r.HooksDir, name+chainedSuffix)
		if name == "pre-commit" {
			return res, &ChainedError{Path: chained, Code: code}
		}
		res.note("the project's %s hook (%s) exited %d; courier carries on", name, chained, code)
	}
	read := o.Getenv("COURIER_SKIP") != "1"
	if !read {
		res.Skipped = true
		res.note("COURIER_SKIP=1, skipping %s", name)
	}
	var err error
	switch name {
	case "pre-commit":
		if res.Files, res.Noticed, err = staged(r, o, read); err != nil && read {
			return res, fmt.Errorf("pre-commit: cannot read the staged drafts: %w (COURIER_SKIP=1 commits without courier)", err)
		}
	case "post-commit":
		res.Files, err = commitFilesMax(r, "HEAD", o.Under, o.Match, o.MaxSize, read)
	case "post-rewrite":
		res.Files, err = rewrittenFilesUnder(r, bytes.NewReader(input), o.Under, o.Match, o.MaxSize, read)
	}
	if !read {
		if err != nil {
			res.note("%s: cannot list the drafts it skips: %v", name, err)
		}
		res.Noticed = nil
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

func (res *Result) note(format string, args ...any) {
	res.Notes = append(res.Notes, fmt.Sprintf(format, args...))
}

// staged returns the matching files staged for this commit (index entries that differ from HEAD),
// read only when read, and the noticed paths among the staged ones.
func staged(r *Repo, o Options, read bool) ([]File, []string, error) {
	indexFile := o.Getenv("GIT_INDEX_FILE")
	if indexFile != "" && !filepath.IsAbs(indexFile) {
		indexFile = filepath.Join(r.Top, indexFile)
	}
	notice := o.Notice
	if notice == nil {
		notice = func(string) bool { return false }
	}
	ents, err := indexEntries(r, indexFile, func(p string) bool { return o.Match(p) || notice(p) })
	if err != nil || len(ents) == 0 {
		return nil, nil, err
	}
	st := store(r)
	defer st.Close()
	head, err := headTree(st)
	if err != nil {
		return nil, nil, err
	}
	var mine []entry
	var noticed []string
	for _, e := range changedVsTree(head, ents) {
		if o.Match(e.path) {
			mine = append(mine, e)
		} else {
			noticed = append(noticed, e.path)
		}
	}
	if len(mine) == 0 || !read {
		return listed(mine), noticed, nil
	}
	files, err := contents(st, mine, o.MaxSize)
	return files, noticed, err
}

// runChained runs the preserved foreign hook, if there is one git would have run, and returns its exit
// code and whether it ran.
func runChained(ctx context.Context, r *Repo, name string, o Options, res *Result) (int, bool) {
	path := filepath.Join(r.HooksDir, name+chainedSuffix)
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		res.note("%s is not executable, so it does not run (git would not run it either)", path)
		return 0, false
	}
	run := func(prog string, argv ...string) error {
		cmd := exec.CommandContext(ctx, prog, argv...)
		cmd.Dir = r.Top
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
		return cmd.Run()
	}
	// A shell script is sourced by its shell under `-c` with $0 set to the hook's own path, so that it
	// runs as if it were still there: dispatchers that find their work from $0 (husky's `.husky/_/h`
	// runs `.husky/$(basename "$0")`) would otherwise look for `<name>.courier-chained` and do nothing.
	// The hook script's fallback (templates/hooks/hook.sh) does the same.
	hookPath := filepath.Join(r.HooksDir, name)
	asIfAt := func(shell ...string) error {
		return run(shell[0], append(append(shell[1:], "-c", sourceChained, hookPath), o.Args...)...)
	}
	if shell := shellOf(path); shell != nil {
		err = asIfAt(shell...)
	} else if err = run(path, o.Args...); errors.Is(err, syscall.ENOEXEC) {
		err = asIfAt("/bin/sh") // no #! line: like git, run it with the shell
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code > 0 {
			return code, true
		}
		return 1, true // killed by a signal
	case crlfShebang(path):
		res.note("cannot run %s: its #! line ends in a carriage return (Windows line endings; git could not run it either): convert it, e.g. with dos2unix", path)
		return 1, true
	default:
		res.note("run %s: %v", path, err)
		return 1, true
	}
}

// sourceChained is the `sh -c` command that runs a chained hook with $0 the hook's own path.
const sourceChained = `. "$0` + chainedSuffix + `"`

// firstLine returns the first line of the file at path (at most 256 bytes, without the line feed).
func firstLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	return strings.TrimSuffix(line, "\n")
}

// crlfShebang reports whether the script at path has a #! line with Windows line endings, which names
// an interpreter ("/bin/sh\r") that does not exist.
func crlfShebang(path string) bool {
	line := firstLine(path)
	return strings.HasPrefix(line, "#!") && strings.HasSuffix(line, "\r")
}

// shellOf returns the #! line of the script at path, split into words, when it names sh, bash or dash
// (directly or through env) with nothing but options after it; nil otherwise (another interpreter, no #!
// line, a line ending in CR: those run as git would run them).
func shellOf(path string) []string {
	rest, ok := strings.CutPrefix(firstLine(path), "#!")
	words := strings.Fields(rest)
	if !ok || strings.Contains(rest, "\r") || len(words) == 0 {
		return nil
	}
	i := 0 // words[i] names the shell
	if filepath.Base(words[0]) == "env" && len(words) > 1 {
		i = 1
	}
	switch filepath.Base(words[i]) {
	case "sh", "bash", "dash":
	default:
		return nil
	}
	for _, w := range words[i+1:] {
		if !strings.HasPrefix(w, "-") {
			return nil // an argument, not an option (`#!/bin/sh script`): let the kernel run it as is
		}
	}
	return words
}
