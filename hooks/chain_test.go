package hooks_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoco/courier/hooks"
)

// husky v9's layout: core.hooksPath=.husky/_ (git-ignored), where every hook is a stub that sources
// `h`, which runs the project's `.husky/<basename of $0>`. Chained under another name, the stub would
// look for `.husky/pre-commit.courier-chained`, find nothing and silently succeed.
func huskyRepo(t *testing.T) *repo {
	t.Helper()
	r := newRepo(t)
	r.write(".husky/_/.gitignore", "*\n")
	r.write(".husky/_/h", "#!/usr/bin/env sh\nn=$(basename \"$0\")\ns=$(dirname \"$(dirname \"$0\")\")/$n\n[ ! -f \"$s\" ] && exit 0\nsh -e \"$s\" \"$@\"\n")
	for _, name := range hookNames {
		r.write(".husky/_/"+name, "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n")
		if err := os.Chmod(filepath.Join(r.dir, ".husky", "_", name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.write(".husky/pre-commit", "echo \"husky pre-commit $*\" >> \"$COURIER_TEST_LOG\"\n[ -z \"$FOREIGN_FAIL\" ] || exit \"$FOREIGN_FAIL\"\n")
	r.write(".husky/post-commit", "echo \"husky post-commit $*\" >> \"$COURIER_TEST_LOG\"\n")
	r.commit("husky")
	r.git("config", "core.hooksPath", ".husky/_")
	return r
}

func TestChainedHookKeepsItsName(t *testing.T) {
	t.Parallel()
	r := huskyRepo(t)
	h := r.open()
	if h.HooksTracked {
		t.Fatal(".husky/_ is ignored, not tracked")
	}
	gone := filepath.Join(t.TempDir(), "courier")
	noCourier := pathWithOnlyGit(t, "") // plus what husky's scripts need
	for _, tool := range []string{"sh", "dirname", "basename"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(noCourier, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, binary string
		env          []string
	}{
		{"through courier", testBinary(t), nil},
		{"COURIER_SKIP=1 (the hook script alone)", testBinary(t), []string{"COURIER_SKIP=1"}},
		{"courier missing (the hook script alone)", gone, []string{"PATH=" + noCourier}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := hooks.Install(h, hooks.InstallOptions{Binary: tc.binary}); err != nil {
				t.Fatal(err)
			}
			r.clearLog()
			r.write(draftA, validMD+tc.name+"\n")
			r.git("add", draftA)
			if _, stderr, err := r.run(tc.env, "commit", "-q", "-m", tc.name); err != nil {
				t.Fatalf("commit: %v\n%s", err, stderr)
			}
			lines := r.logLines()
			for _, want := range []string{"husky pre-commit", "husky post-commit"} {
				if index(lines, want) < 0 {
					t.Errorf("the project's husky hook did not run (%q missing); log:\n%s", want, strings.Join(lines, "\n"))
				}
			}
			head := r.git("rev-parse", "HEAD")
			r.write("README.md", tc.name)
			r.git("add", "README.md")
			if _, _, err := r.run(append(tc.env, "FOREIGN_FAIL=1"), "commit", "-q", "-m", "x"); err == nil || r.git("rev-parse", "HEAD") != head {
				t.Errorf("the failing husky pre-commit did not block the commit")
			}
			r.git("reset", "-q", "--hard")
		})
	}
}

func TestChainedShellScriptSeesTheHookAsItsName(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	out := filepath.Join(t.TempDir(), "out")
	for _, shebang := range []string{"#!/bin/sh", "#!/bin/sh -e", "#! /bin/sh", "#!/usr/bin/env sh", "#!/usr/bin/env bash", "#!/bin/bash -eu", ""} {
		t.Run(shebang, func(t *testing.T) {
			script := shebang + "\nprintf '%s|%s|%s\\n' \"$0\" \"$1\" \"$#\" > '" + out + "'\n"
			writeForeign(t, filepath.Join(h.HooksDir, "pre-commit.courier-chained"), script, 0o755)
			code, _, stderr, _ := runHook(t, h, "pre-commit", []string{"a b", "c"}, "", nil)
			b, err := os.ReadFile(out)
			if want := filepath.Join(h.HooksDir, "pre-commit") + "|a b|2\n"; code != 0 || err != nil || string(b) != want {
				t.Errorf("code %d, $0|$1|$# = %q (%v), stderr %q; want %q", code, b, err, stderr, want)
			}
		})
	}
}

// A hook saved with Windows line endings names the interpreter "/bin/sh\r": git cannot run it, and
// neither can courier, but courier says why instead of "no such file or directory".
func TestChainedHookWithWindowsLineEndings(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	r.install(h)
	chained := filepath.Join(h.HooksDir, "pre-commit.courier-chained")
	writeForeign(t, chained, "#!/bin/sh\r\necho hi\r\n", 0o755)
	code, _, stderr, _ := runHook(t, h, "pre-commit", nil, "", nil)
	if code != 1 || !strings.Contains(stderr, chained+": its #! line ends in a carriage return (Windows line endings") {
		t.Errorf("code %d, stderr %q; want 1 and the reason", code, stderr)
	}
	st, err := hooks.Status(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], chained+" has Windows line endings") {
		t.Errorf("Status warnings = %q", st.Warnings)
	}
}
