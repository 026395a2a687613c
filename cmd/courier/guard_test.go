package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/config"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/guard"
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

// runGuardBinary runs `bin guard check ARGS` (the lean binary: `bin ARGS`) in dir with event on stdin.
func runGuardBinary(tb testing.TB, bin, dir string, event []byte, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	if filepath.Base(bin) != guard.LeanBinary {
		args = append([]string{"guard", "check"}, args...)
	}
	cmd := exec.Command(bin, args...)
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
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/call")
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

// The lean binary is built once per test process into its own temporary directory (removed after
// the run), beside a link to the real courier binary, as install.sh installs them. Not into the
// shared binary cache: another test process may be running the binaries there.
var (
	leanOnce sync.Once
	leanDir  string
	leanErr  error
)

// leanBinaries returns a directory holding courier and courier-guard, built once per test process.
func leanBinaries(t *testing.T) string {
	t.Helper()
	bin := courierBinary(t)
	leanOnce.Do(func() {
		if leanDir, leanErr = os.MkdirTemp("", "courier-lean-"); leanErr != nil {
			return
		}
		if leanErr = linkOrCopy(bin, filepath.Join(leanDir, "courier")); leanErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(leanDir, guard.LeanBinary), "../courier-guard")
		cmd.Env = append(os.Environ(), "HOME="+originalHome)
		if out, err := cmd.CombinedOutput(); err != nil {
			leanErr = errors.New("go build ../courier-guard: " + err.Error() + "\n" + string(out))
		}
	})
	if leanErr != nil {
		t.Fatal(leanErr)
	}
	return leanDir
}

func linkOrCopy(from, to string) error {
	if os.Link(from, to) == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestCourierGuardLinksNoHeavyPackage keeps the lean binary lean: agents' hooks start it before every
// tool call, and each heavy dependency's package initialisation is paid at every start.
func TestCourierGuardLinksNoHeavyPackage(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "../courier-guard").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/monoco/courier/guard") {
		t.Fatalf("go list -deps ../courier-guard does not list the guard:\n%s", out)
	}
	heavy := []string{"github.com/yuin/goldmark", "github.com/go-git/", "github.com/xeipuuv/gojsonschema", "net/http",
		"github.com/urfave/cli", "github.com/monoco/courier/config", "github.com/monoco/courier/drafts",
		"github.com/monoco/courier/hooks", "github.com/monoco/courier/delivery", "github.com/monoco/courier/adapters"}
	allowed := []string{"github.com/monoco/courier/config/configfile", "github.com/monoco/courier/drafts/pattern"}
	for _, d := range deps {
		for _, h := range heavy {
			if (d == h || strings.HasPrefix(d, strings.TrimSuffix(h, "/")+"/")) && !slices.Contains(allowed, d) {
				t.Errorf("courier-guard links %s", d)
			}
		}
	}
}

// TestBinaryGuardLeanAgrees runs the lean binary and `courier guard check` on the recorded events and
// on --path questions: the same exit code, stdout and stderr, byte for byte.
func TestBinaryGuardLeanAgrees(t *testing.T) {
	t.Parallel()
	dir := leanBinaries(t)
	full, lean := filepath.Join(dir, "courier"), filepath.Join(dir, guard.LeanBinary)
	root := guardRepo(t)
	elsewhere := t.TempDir()
	type call struct {
		name, dir string
		event     []byte
		args      []string
	}
	var calls []call
	for name, ev := range guardEvents(t, root) {
		calls = append(calls, call{name, elsewhere, ev, nil}, call{name + " --json", elsewhere, ev, []string{"--json"}})
	}
	calls = append(calls,
		call{"not JSON", root, []byte("not json"), nil},
		call{"--path write", root, nil, []string{"--path", ".monoco/mailbox/outbound/x.md", "--write"}},
		call{"--path read", root, nil, []string{"--path", ".git/courier/seal.key"}},
		call{"-C --path", elsewhere, nil, []string{"-C", root, "--path", ".monoco/courier.yaml", "--write"}},
		call{"--config missing", root, nil, []string{"--config", "nope.yaml", "--path", ".monoco/mailbox/x", "--write"}},
		call{"-C not a dir", root, nil, []string{"-C", "nope", "--path", "x"}},
	)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fc, fo, fe := runGuardBinary(t, full, c.dir, c.event, c.args...)
			lc, lo, le := runGuardBinary(t, lean, c.dir, c.event, c.args...)
			if fc != lc || fo != lo || fe != le {
				t.Errorf("courier guard check: exit %d, stdout %q, stderr %q\ncourier-guard:       exit %d, stdout %q, stderr %q", fc, fo, fe, lc, lo, le)
			}
		})
	}
}

// TestBinaryGuardInstallLean: with courier-guard next to courier, install writes it as the hook
// command (by name in the shared settings, by absolute path in the local ones); status says so and
// calls an entry whose recorded binary is gone stale; install then falls back to `courier guard check`.
func TestBinaryGuardInstallLean(t *testing.T) {
	t.Parallel()
	built := leanBinaries(t)
	dir := t.TempDir()
	for _, name := range []string{"courier", guard.LeanBinary} {
		if err := linkOrCopy(filepath.Join(built, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	bin, lean := filepath.Join(dir, "courier"), filepath.Join(dir, guard.LeanBinary)
	root := guardRepo(t)
	courier := func(args ...string) result {
		t.Helper()
		r := runIn(t, root, nil, bin, args...)
		if r.code != 0 {
			t.Fatalf("courier %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r
	}
	hookCommand := func(local bool) string {
		t.Helper()
		b, err := os.ReadFile(guard.ClaudeSettings(root, local))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Hooks struct {
				PreToolUse []struct {
					Hooks []struct{ Command string }
				}
			}
		}
		if err := json.Unmarshal(b, &doc); err != nil || len(doc.Hooks.PreToolUse) != 1 || len(doc.Hooks.PreToolUse[0].Hooks) != 1 {
			t.Fatalf("settings: %v\n%s", err, b)
		}
		return doc.Hooks.PreToolUse[0].Hooks[0].Command
	}
	if r := courier("guard", "install"); !strings.Contains(r.stdout, "runs `courier-guard`") || hookCommand(false) != "courier-guard" {
		t.Fatalf("install: %s", r.stdout)
	}
	if r := courier("guard", "install", "--local"); !strings.Contains(r.stdout, "runs `"+lean+"`") || hookCommand(true) != lean {
		t.Fatalf("install --local: %s", r.stdout)
	}
	if r := courier("guard", "install", "--local"); !strings.Contains(r.stdout, "already installed") {
		t.Errorf("second install --local: %s", r.stdout)
	}
	r := courier("guard", "status")
	for _, want := range []string{".claude/settings.json: installed, current (`courier-guard` before Write|Edit|MultiEdit|NotebookEdit|Bash; the lean binary courier-guard)",
		".claude/settings.local.json: installed, current (`" + lean + "` before Write|Edit|MultiEdit|NotebookEdit|Bash; the lean binary courier-guard)"} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if err := os.Remove(lean); err != nil {
		t.Fatal(err)
	}
	if r := courier("guard", "status"); !strings.Contains(r.stdout, ".claude/settings.local.json: installed, not current (`"+lean+"` before "+
		guard.ClaudeMatcher+"; the lean binary courier-guard, which is missing; courier guard install --local updates it)") ||
		!strings.Contains(r.stdout, ".claude/settings.json: installed, not current (`courier-guard`") {
		t.Errorf("status with the lean binary gone:\n%s", r.stdout)
	}
	courier("guard", "install", "--local")
	courier("guard", "install")
	if hookCommand(true) != bin+" guard check" || hookCommand(false) != "courier guard check" {
		t.Errorf("fallback: local %q, shared %q", hookCommand(true), hookCommand(false))
	}
	courier("guard", "uninstall", "--local")
	courier("guard", "uninstall")
	for _, local := range []bool{false, true} {
		if _, err := os.Stat(guard.ClaudeSettings(root, local)); !os.IsNotExist(err) {
			t.Errorf("uninstall left %s", guard.ClaudeSettings(root, local))
		}
	}
}

// TestGuardSettingsAgreeWithConfig: what the guard reads of courier's configuration (guard.ReadSettings,
// without the providers) is what config.Open reads, for valid configurations; and the guard knows
// every top-level key.
func TestGuardSettingsAgreeWithConfig(t *testing.T) {
	t.Parallel()
	var keys []string
	ct := reflect.TypeOf(config.Config{})
	for i := range ct.NumField() {
		if name, _, _ := strings.Cut(ct.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	if !slices.Equal(keys, guard.ConfigKeys) {
		t.Errorf("config.Config keys %q, guard.ConfigKeys %q", keys, guard.ConfigKeys)
	}
	getenv := func(k string) string { return map[string]string{"MB": "/srv/mb"}[k] }
	for _, yaml := range []string{"", "mailbox: .monoco/mailbox\n", "mailbox: ${MB}/x\nguard:\n  protect: [hooks]\n",
		"mailbox: var/mb\ndrafts:\n  patterns:\n    - {branch: '(?i)(?P<item>task-\\d+)', dir: 'tasks/{item}'}\n",
		"guard:\n  protect: []\nwatch:\n  interval: 1s\nproviders:\n  file:\n    dir: out\n"} {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, ".monoco"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, ".monoco", "courier.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Open("", getenv, root, root, registry())
		if err != nil {
			t.Fatalf("%q: %v", yaml, err)
		}
		s, err := guard.ReadSettings("", getenv, root, root)
		if err != nil {
			t.Fatalf("%q: guard: %v", yaml, err)
		}
		for _, branch := range []string{"feat/FEAT-1-x", "task-9", "main"} {
			it, _ := drafts.ItemForBranch(branch, cfg.Patterns())
			if s.DraftsDir(branch) != it.Dir {
				t.Errorf("%q: drafts dir of %s: guard %q, config %q", yaml, branch, s.DraftsDir(branch), it.Dir)
			}
		}
		if s.Mailbox != cfg.MailboxDir() || !reflect.DeepEqual(s.Protect, cfg.Guard.Protect) {
			t.Errorf("%q: guard %q %v, config %q %v", yaml, s.Mailbox, s.Protect, cfg.MailboxDir(), cfg.Guard.Protect)
		}
	}
}

// BenchmarkGuardCheckLean times one courier-guard process (the hook's command) per recorded Bash event,
// start-up included: the budget is 10 ms a call. Interleaved with it, a do-nothing Go binary started the
// same way (floor-ms) shows what starting any process costs here. Standard streams are files, as a
// hook runner's would be, not pipes copied by goroutines of this process.
func BenchmarkGuardCheckLean(b *testing.B) {
	dir := b.TempDir()
	bin, noop := filepath.Join(dir, guard.LeanBinary), filepath.Join(dir, "noop")
	if err := os.WriteFile(filepath.Join(dir, "noop.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range [][]string{{"-o", bin, "../courier-guard"}, {"-o", noop, filepath.Join(dir, "noop.go")}} {
		args := append([]string{"build", "-trimpath", "-ldflags", "-s -w"}, c...)
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	root := guardRepo(b)
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, guardEvents(b, root)["none-bash-test"], 0o644); err != nil {
		b.Fatal(err)
	}
	start := func(name string) time.Duration {
		in, err := os.Open(event)
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dir, "out"))
		if err != nil {
			b.Fatal(err)
		}
		defer out.Close()
		cmd := exec.Command(name)
		cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = root, in, out, out
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		return time.Since(t0)
	}
	var lean, floor []time.Duration
	b.ResetTimer()
	for range b.N {
		lean, floor = append(lean, start(bin)), append(floor, start(noop))
	}
	b.StopTimer()
	b.ReportMetric(medianMS(lean), "ms/call")
	b.ReportMetric(medianMS(floor), "floor-ms")
}

// medianMS is the median of ds in milliseconds.
func medianMS(ds []time.Duration) float64 {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return float64(ds[len(ds)/2].Microseconds()) / 1000
}
