package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// guardRepo is a repository on a work-item branch with courier's layout, as `courier guard check`
// sees it; it returns its root.
func guardRepo(tb testing.TB) string {
	tb.Helper()
	base, err := filepath.EvalSymlinks(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	root := filepath.Join(base, "repo")
	for _, d := range []string{".monoco/mailbox/outbound/file", ".monoco/mailbox/archive/file", "src", ".git"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command("git", "init", "-q", "-b", "feat/FEAT-0172-guard")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git init: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(root, ".monoco", "courier.yaml"), []byte("mailbox: .monoco/mailbox\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return root
}

// guardEvents reads the recorded events of testdata/guard with @REPO@ set to root; the file name says
// the expected answer (deny-… or none-…).
func guardEvents(tb testing.TB, root string) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "guard", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recorded events: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = bytes.ReplaceAll(b, []byte("@REPO@"), []byte(root))
	}
	return out
}

// runGuardBinary runs `bin guard check ARGS` in dir with event on stdin.
func runGuardBinary(tb testing.TB, bin, dir string, event []byte, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"guard", "check"}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(event)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		tb.Fatal(err)
	}
	return code, o.String(), e.String()
}

// TestBinaryGuardCheck feeds recorded Claude Code PreToolUse events to the real binary, started (as
// Claude Code starts hooks) in a directory other than the event's cwd.
func TestBinaryGuardCheck(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	root := guardRepo(t)
	elsewhere := t.TempDir()
	for name, ev := range guardEvents(t, root) {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runGuardBinary(t, bin, elsewhere, ev)
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if strings.HasPrefix(name, "deny-") {
				if code != 2 || !strings.HasPrefix(stderr, "courier guard: ") || strings.Count(stderr, "\n") != 1 {
					t.Fatalf("exit %d, stderr %q; want 2 and one reason line", code, stderr)
				}
				code, stdout, stderr = runGuardBinary(t, bin, elsewhere, ev, "--json")
				if code != 0 || !strings.Contains(stdout, `"permissionDecision":"deny"`) || stderr != "" {
					t.Fatalf("--json: exit %d, stdout %q, stderr %q", code, stdout, stderr)
				}
				return
			}
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and silence", code, stderr)
			}
		})
	}
}

// BenchmarkGuardCheckBinary times one `courier guard check` process per recorded Bash event (the
// most common tool call), start-up included: the budget is 10 ms a call.
func BenchmarkGuardCheckBinary(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "courier")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	root := guardRepo(b)
	ev := guardEvents(b, root)["none-bash-test"]
	b.ResetTimer()
	for range b.N {
		if code, _, stderr := runGuardBinary(b, bin, root, ev); code != 0 {
			b.Fatalf("exit %d: %s", code, stderr)
		}
	}
}

// BenchmarkGuardCheckInProcess times the same call through run(...), without process start-up.
func BenchmarkGuardCheckInProcess(b *testing.B) {
	root := guardRepo(b)
	ev := guardEvents(b, root)["none-bash-test"]
	b.Chdir(root)
	b.ResetTimer()
	for range b.N {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"courier", "guard", "check"}, os.Getenv,
			bytes.NewReader(ev), &stdout, &stderr); code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}
