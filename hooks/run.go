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

// Actions is what the hooks do with the files they find; cmd/courier supplies it.
type Actions struct {
	// Match reports whether path (slash-separated, relative to the worktree top) is a draft file of any
	// work item. nil matches nothing.
	Match func(path string) bool
	// Under, when set, is a path prefix (e.g. "Issues/") outside which Match never reports true; commits
	// are then diffed only below it. Optional: it only saves work.
	Under string
	// Validate checks the drafts staged for the commit (pre-commit). It prints its own error lines to
	// stderr; a non-nil error blocks the commit. nil accepts everything.
	Validate func(ctx context.Context, files []File, stderr io.Writer) error
	// Deliver delivers the drafts a new or rewritten commit added or changed (post-commit, post-rewrite).
	// It reports on stdout and stderr and never blocks the commit. nil does nothing.
	Deliver func(ctx context.Context, files []File, stdout, stderr io.Writer)
}

// Run runs hook name (pre-commit, post-commit or post-rewrite) with git's args and stdin, and returns the
// hook's exit code.
//
// A preserved foreign hook (`<name>.courier-chained` in r.HooksDir, if executable, as git requires) runs
// first with the same args and stdin (post-rewrite's stdin is buffered so both get it) and, when it is a
// sh, bash or dash script, with $0 the hook's own path (see [shellOf]). For pre-commit its
// non-zero exit is returned at once (the commit is blocked, courier does not validate); for the others its
// failure is reported and courier carries on. Then, unless getenv("COURIER_SKIP") is "1":
//
//   - pre-commit validates the matching files staged in the index git hands the hook ($GIT_INDEX_FILE,
//     relative to r.Top; default GitDir/index) whose blob differs from HEAD's, and returns 1 when
//     a.Validate fails (or the index cannot be read: set COURIER_SKIP=1 to commit anyway);
//   - post-commit delivers the matching files HEAD added or changed (nothing for a merge), returns 0;
//   - post-rewrite delivers the matching files of every rewritten commit (stdin "old new" lines), returns 0.
//
// An unknown hook name is a usage error: 2.
func Run(ctx context.Context, r *Repo, name string, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, a Actions) int {
	switch name {
	case "pre-commit", "post-commit", "post-rewrite":
	default:
		fmt.Fprintf(stderr, "courier: unknown hook %q (courier runs pre-commit, post-commit and post-rewrite)\n", name)
		return 2
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if a.Match == nil {
		a.Match = func(string) bool { return false }
	}
	var input []byte
	if name == "post-rewrite" && stdin != nil {
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "courier: post-rewrite: read stdin: %v\n", err)
		}
		input = b
		stdin = bytes.NewReader(input)
	}
	if code, ran := runChained(ctx, r, name, args, stdin, stdout, stderr); ran && code != 0 {
		chained := filepath.Join(r.HooksDir, name+chainedSuffix)
		if name == "pre-commit" {
			fmt.Fprintf(stderr, "courier: the project's pre-commit hook (%s) exited %d: commit blocked\n", chained, code)
			return code
		}
		fmt.Fprintf(stderr, "courier: the project's %s hook (%s) exited %d; courier carries on\n", name, chained, code)
	}
	if getenv("COURIER_SKIP") == "1" {
		fmt.Fprintf(stderr, "courier: COURIER_SKIP=1, skipping %s\n", name)
		return 0
	}
	switch name {
	case "pre-commit":
		return preCommit(ctx, r, stderr, getenv, a)
	case "post-commit":
		files, err := commitFilesUnder(r, "HEAD", a.Under, a.Match)
		if err != nil {
			fmt.Fprintf(stderr, "courier: post-commit: %v\n", err)
			return 0
		}
		deliver(ctx, files, stdout, stderr, a)
	case "post-rewrite":
		files, err := rewrittenFilesUnder(r, bytes.NewReader(input), a.Under, a.Match)
		if err != nil {
			fmt.Fprintf(stderr, "courier: post-rewrite: %v\n", err)
			return 0
		}
		deliver(ctx, files, stdout, stderr, a)
	}
	return 0
}

func deliver(ctx context.Context, files []File, stdout, stderr io.Writer, a Actions) {
	if len(files) > 0 && a.Deliver != nil {
		a.Deliver(ctx, files, stdout, stderr)
	}
}

// preCommit validates the drafts staged for this commit: index entries that differ from HEAD.
func preCommit(ctx context.Context, r *Repo, stderr io.Writer, getenv func(string) string, a Actions) int {
	indexFile := getenv("GIT_INDEX_FILE")
	if indexFile != "" && !filepath.IsAbs(indexFile) {
		indexFile = filepath.Join(r.Top, indexFile)
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "courier: pre-commit: cannot read the staged drafts: %v (COURIER_SKIP=1 commits without courier)\n", err)
		return 1
	}
	ents, err := indexEntries(r, indexFile, a.Match)
	if err != nil {
		return fail(err)
	}
	if len(ents) == 0 {
		return 0
	}
	st := store(r)
	defer st.Close()
	head, err := headTree(st)
	if err != nil {
		return fail(err)
	}
	ents = changedVsTree(head, ents)
	if len(ents) == 0 {
		return 0
	}
	files, err := contents(st, ents)
	if err != nil {
		return fail(err)
	}
	if a.Validate != nil && a.Validate(ctx, files, stderr) != nil {
		return 1
	}
	return 0
}

// runChained runs the preserved foreign hook, if there is one git would have run, and returns its exit
// code and whether it ran.
func runChained(ctx context.Context, r *Repo, name string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	path := filepath.Join(r.HooksDir, name+chainedSuffix)
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		fmt.Fprintf(stderr, "courier: %s is not executable, so it does not run (git would not run it either)\n", path)
		return 0, false
	}
	run := func(prog string, argv ...string) error {
		cmd := exec.CommandContext(ctx, prog, argv...)
		cmd.Dir = r.Top
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		return cmd.Run()
	}
	// A shell script is sourced by its shell under `-c` with $0 set to the hook's own path, so that it
	// runs as if it were still there: dispatchers that find their work from $0 (husky's `.husky/_/h`
	// runs `.husky/$(basename "$0")`) would otherwise look for `<name>.courier-chained` and do nothing.
	// The hook script's fallback (templates/hooks/hook.sh) does the same.
	hookPath := filepath.Join(r.HooksDir, name)
	asIfAt := func(shell ...string) error {
		return run(shell[0], append(append(shell[1:], "-c", sourceChained, hookPath), args...)...)
	}
	if shell := shellOf(path); shell != nil {
		err = asIfAt(shell...)
	} else if err = run(path, args...); errors.Is(err, syscall.ENOEXEC) {
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
		fmt.Fprintf(stderr, "courier: cannot run %s: its #! line ends in a carriage return (Windows line endings; git could not run it either): convert it, e.g. with dos2unix\n", path)
		return 1, true
	default:
		fmt.Fprintf(stderr, "courier: run %s: %v\n", path, err)
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
