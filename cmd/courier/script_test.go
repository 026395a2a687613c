package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the CLI scenarios in testdata/script/*.txtar. Each script starts in $WORK with its
// own HOME (a git identity, no system config) and the "courier" command running run(...).
//
// Extra commands:
//
//	mdcount DIR N      DIR/*/*.md (message files of one mailbox state) number exactly N
//	nopanic            the last command's stdout and stderr carry no panic or stack trace
//	stderrlines N      the last command wrote exactly N non-empty lines to stderr
//	perm PATH MODE     PATH has permission bits MODE (octal)
//	capture NAME RE    sets $NAME to the first submatch of RE in the last command's stdout
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, ".home")
			if err := os.MkdirAll(home, 0o700); err != nil {
				return err
			}
			gitconfig := "[user]\n\tname = Courier Test\n\temail = test@courier.invalid\n" +
				"[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
			if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o600); err != nil {
				return err
			}
			e.Setenv("HOME", home)
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mdcount": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: mdcount DIR N")
				}
				want, err := strconv.Atoi(args[1])
				ts.Check(err)
				got, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "*", "*.md"))
				ts.Check(err)
				if (len(got) == want) == neg {
					ts.Fatalf("%s holds %d message files %v, want %s%d", args[0], len(got), got, map[bool]string{true: "not "}[neg], want)
				}
			},
			"nopanic": func(ts *testscript.TestScript, neg bool, args []string) {
				for _, name := range []string{"stdout", "stderr"} {
					if s := ts.ReadFile(name); traceRe.MatchString(s) {
						ts.Fatalf("%s carries a panic or stack trace:\n%s", name, s)
					}
				}
			},
			"stderrlines": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: stderrlines N")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := lines(ts.ReadFile("stderr"))
				if len(got) != want {
					ts.Fatalf("stderr has %d lines, want %d:\n%s", len(got), want, strings.Join(got, "\n"))
				}
			},
			"capture": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: capture NAME REGEXP")
				}
				m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
				if len(m) < 2 {
					ts.Fatalf("capture %s: no match for %s in stdout", args[0], args[1])
				}
				ts.Setenv(args[0], m[1])
			},
			"perm": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: perm PATH MODE")
				}
				want, err := strconv.ParseUint(args[1], 8, 32)
				ts.Check(err)
				st, err := os.Stat(ts.MkAbs(args[0]))
				ts.Check(err)
				if got := st.Mode().Perm(); uint64(got) != want {
					ts.Fatalf("%s has mode %s, want %s", args[0], fmt.Sprintf("%04o", got), args[1])
				}
			},
		},
	})
}
