package hooks_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/hooks"
)

var hookNames = []string{"pre-commit", "post-commit", "post-rewrite"}

const marker = "# courier-hook v1 — managed by courier; remove with: courier hooks uninstall"

func TestInstallStatusUninstallPlainRepo(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	samples := snapshot(t, h.HooksDir)

	lines := r.install(h)
	if diff := cmp.Diff([]string{"installed pre-commit", "installed post-commit", "installed post-rewrite"}, lines); diff != "" {
		t.Errorf("Install lines (-want +got):\n%s", diff)
	}
	for _, name := range hookNames {
		p := filepath.Join(h.HooksDir, name)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o755 {
			t.Errorf("%s mode = %v, want 0755", name, fi.Mode())
		}
		b, _ := os.ReadFile(p)
		s := string(b)
		if !strings.HasPrefix(s, "#!/bin/sh\n") || !strings.Contains(s, "\n"+marker+"\n") ||
			!strings.Contains(s, "courier='"+testBinary(t)+"'\n") || !strings.Contains(s, "hook="+name+"\n") {
			t.Errorf("%s does not look like courier's hook for %s:\n%s", name, testBinary(t), s)
		}
	}

	st, err := hooks.Status(h)
	if err != nil {
		t.Fatal(err)
	}
	want := &hooks.StatusReport{HooksDir: h.HooksDir}
	for _, name := range hookNames {
		want.Hooks = append(want.Hooks, hooks.HookStatus{Name: name, Path: filepath.Join(h.HooksDir, name), Courier: true, Executable: true})
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Status after install (-want +got):\n%s", diff)
	}

	lines, err = hooks.Uninstall(h)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"removed pre-commit", "removed post-commit", "removed post-rewrite"}, lines); diff != "" {
		t.Errorf("Uninstall lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(samples, snapshot(t, h.HooksDir)); diff != "" {
		t.Errorf("after uninstall the hooks dir differs from before install:\n%s", diff)
	}
	st, err = hooks.Status(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, hs := range st.Hooks {
		if hs.Courier || hs.Executable {
			t.Errorf("after uninstall: %+v", hs)
		}
	}
}

func TestInstallCreatesMissingHooksDir(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	if err := os.RemoveAll(h.HooksDir); err != nil {
		t.Fatal(err)
	}
	r.install(h)
	fi, err := os.Stat(h.HooksDir)
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("hooks dir: %v, %v; want created 0755", fi, err)
	}
}

func TestInstallTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	r.install(h)
	before := snapshot(t, h.HooksDir)
	lines := r.install(h)
	if diff := cmp.Diff([]string{"pre-commit up to date", "post-commit up to date", "post-rewrite up to date"}, lines); diff != "" {
		t.Errorf("second Install lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, snapshot(t, h.HooksDir)); diff != "" {
		t.Errorf("second Install changed the hooks dir (bytes, modes or mtimes):\n%s", diff)
	}
}

func TestInstallUpdatesOlderCourierHookInPlace(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	old := filepath.Join(t.TempDir(), "old-courier")
	if _, err := hooks.Install(h, hooks.InstallOptions{Binary: old}); err != nil {
		t.Fatal(err)
	}
	// An older hook may also have been edited by hand; the marker is what makes it courier's.
	pc := filepath.Join(h.HooksDir, "pre-commit")
	b, _ := os.ReadFile(pc)
	if err := os.WriteFile(pc, append(b, "# local edit\n"...), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := r.install(h)
	if diff := cmp.Diff([]string{"updated pre-commit", "updated post-commit", "updated post-rewrite"}, lines); diff != "" {
		t.Errorf("Install over older hooks (-want +got):\n%s", diff)
	}
	for _, name := range hookNames {
		b, _ := os.ReadFile(filepath.Join(h.HooksDir, name))
		if strings.Contains(string(b), old) || strings.Contains(string(b), "local edit") || !strings.Contains(string(b), testBinary(t)) {
			t.Errorf("%s was not updated:\n%s", name, b)
		}
		if _, err := os.Lstat(filepath.Join(h.HooksDir, name+".courier-chained")); err == nil {
			t.Errorf("an older courier hook was chained as if it were foreign")
		}
	}
}

func TestUnrecognisedCourierHookNeedsForce(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	future := "#!/bin/sh\n# courier-hook v9 — managed by a future courier\nexec courier hooks run pre-commit \"$@\"\n"
	pc := filepath.Join(h.HooksDir, "pre-commit")
	if err := os.WriteFile(pc, []byte(future), 0o755); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, h.HooksDir)
	_, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t)})
	if err == nil || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), pc) {
		t.Fatalf("Install over an unrecognised courier hook: err = %v, want one naming %s and --force", err, pc)
	}
	if diff := cmp.Diff(before, snapshot(t, h.HooksDir)); diff != "" {
		t.Fatalf("refused Install changed the hooks dir:\n%s", diff)
	}
	lines, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !contains(lines, "replaced unrecognised courier hook pre-commit") {
		t.Errorf("Install --force lines = %q", lines)
	}
	if _, err := os.Lstat(pc + ".courier-chained"); err == nil {
		t.Errorf("an unrecognised courier hook was chained as if it were foreign")
	}
	b, _ := os.ReadFile(pc)
	if !strings.Contains(string(b), marker) {
		t.Errorf("pre-commit not replaced:\n%s", b)
	}
}

// writeForeign writes a foreign hook script with an unusual mode, to prove modes survive.
func writeForeign(t *testing.T, path, script string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestForeignHooksChainedAndRestored(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	pc := filepath.Join(h.HooksDir, "pre-commit")
	writeForeign(t, pc, "#!/bin/sh\n# the project's own pre-commit\nexit 0\n", 0o750)
	// post-rewrite is a relative symlink to a script elsewhere in the hooks dir.
	writeForeign(t, filepath.Join(h.HooksDir, "rewrite-impl"), "#!/bin/sh\nexit 0\n", 0o700)
	if err := os.Symlink("rewrite-impl", filepath.Join(h.HooksDir, "post-rewrite")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, h.HooksDir)

	lines := r.install(h)
	want := []string{
		"kept foreign pre-commit as pre-commit.courier-chained", "installed pre-commit",
		"installed post-commit",
		"kept foreign post-rewrite as post-rewrite.courier-chained", "installed post-rewrite",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Install lines (-want +got):\n%s", diff)
	}
	after := snapshot(t, h.HooksDir)
	if diff := cmp.Diff(before["pre-commit"], after["pre-commit.courier-chained"]); diff != "" {
		t.Errorf("chained pre-commit differs from the original (-orig +chained):\n%s", diff)
	}
	if diff := cmp.Diff(before["post-rewrite"], after["post-rewrite.courier-chained"]); diff != "" {
		t.Errorf("chained post-rewrite symlink differs from the original (-orig +chained):\n%s", diff)
	}

	st, err := hooks.Status(h)
	if err != nil {
		t.Fatal(err)
	}
	if st.Hooks[0].Chained != pc+".courier-chained" || !st.Hooks[0].Courier || st.Hooks[1].Chained != "" ||
		st.Hooks[2].Chained != filepath.Join(h.HooksDir, "post-rewrite.courier-chained") || len(st.Warnings) != 0 {
		t.Errorf("Status = %+v", st)
	}

	again := r.install(h)
	if diff := cmp.Diff(after, snapshot(t, h.HooksDir)); diff != "" {
		t.Errorf("second Install changed the hooks dir (lines %q):\n%s", again, diff)
	}

	lines, err = hooks.Uninstall(h)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"removed pre-commit", "restored foreign pre-commit from pre-commit.courier-chained",
		"removed post-commit",
		"removed post-rewrite", "restored foreign post-rewrite from post-rewrite.courier-chained",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Uninstall lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, snapshot(t, h.HooksDir)); diff != "" {
		t.Errorf("Uninstall did not restore the hooks dir exactly (-before +after):\n%s", diff)
	}
}

func TestUninstallLeavesForeignHooksAlone(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	writeForeign(t, filepath.Join(h.HooksDir, "post-commit"), "#!/bin/sh\necho mine\n", 0o755)
	before := snapshot(t, h.HooksDir)
	lines, err := hooks.Uninstall(h)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(lines, "left post-commit alone (not courier's)") {
		t.Errorf("Uninstall lines = %q", lines)
	}
	if diff := cmp.Diff(before, snapshot(t, h.HooksDir)); diff != "" {
		t.Errorf("Uninstall without courier hooks changed the dir:\n%s", diff)
	}
}

// Someone (or a hook manager) replaced courier's hook with another foreign one: installing again
// chains the newest, keeps the earlier one once under a numbered name and says so; nothing is lost.
func TestSecondForeignHookIsNotLost(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	pc := filepath.Join(h.HooksDir, "pre-commit")
	first := "#!/bin/sh\necho first\n"
	second := "#!/bin/sh\necho second\n"
	writeForeign(t, pc, first, 0o755)
	r.install(h)
	writeForeign(t, pc, second, 0o700)
	st, err := hooks.Status(h)
	if err != nil {
		t.Fatal(err)
	}
	warnings := strings.Join(st.Warnings, "\n")
	if st.Hooks[0].Courier || !strings.Contains(warnings, "replaced courier's hook") || strings.Contains(warnings, "--force") {
		t.Errorf("Status does not report the replaced hook with the plain remedy: %+v", st)
	}

	lines := r.install(h)
	want := []string{
		"moved earlier preserved pre-commit.courier-chained to pre-commit.courier-chained.1: it differs from the new pre-commit (it no longer runs)",
		"kept foreign pre-commit as pre-commit.courier-chained", "installed pre-commit",
		"post-commit up to date", "post-rewrite up to date",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Install lines (-want +got):\n%s", diff)
	}
	after := snapshot(t, h.HooksDir)
	if after["pre-commit.courier-chained.1"].Content != first || after["pre-commit.courier-chained"].Content != second ||
		after["pre-commit.courier-chained"].Mode != 0o700 {
		t.Errorf("preserved hooks: %+v", after)
	}
	// The first one comes back: it is already kept, so it is not kept a second time.
	writeForeign(t, pc, first, 0o755)
	lines = r.install(h)
	if !contains(lines, "removed pre-commit.courier-chained.1: the same as pre-commit.courier-chained") &&
		!contains(lines, "the earlier preserved pre-commit.courier-chained differs from the new pre-commit and is already kept as pre-commit.courier-chained.1 (it no longer runs)") {
		t.Errorf("Install lines = %q", lines)
	}
	lines, err = hooks.Uninstall(h)
	if err != nil {
		t.Fatal(err)
	}
	final := snapshot(t, h.HooksDir)
	if final["pre-commit"].Content != first {
		t.Errorf("after uninstall: %+v (lines %q)", final, lines)
	}
	var numbered []string
	for name, st := range final {
		if strings.HasPrefix(name, "pre-commit.courier-chained.") {
			numbered = append(numbered, name+"="+st.Content)
		}
	}
	if !slices.Equal(numbered, []string{"pre-commit.courier-chained.1=" + second}) && !slices.Equal(numbered, []string{"pre-commit.courier-chained.2=" + second}) {
		t.Errorf("numbered copies after the cycle: %q, want the second hook once", numbered)
	}
}

func TestUninstallDoesNotOverwriteAForeignHook(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	pc := filepath.Join(h.HooksDir, "pre-commit")
	writeForeign(t, pc, "#!/bin/sh\necho first\n", 0o755)
	r.install(h)
	writeForeign(t, pc, "#!/bin/sh\necho second\n", 0o755)
	before := snapshot(t, h.HooksDir)
	_, err := hooks.Uninstall(h)
	if err == nil || !strings.Contains(err.Error(), pc+".courier-chained") {
		t.Fatalf("Uninstall: err = %v, want one naming the preserved hook it cannot restore", err)
	}
	after := snapshot(t, h.HooksDir)
	if after["pre-commit"] != before["pre-commit"] || after["pre-commit.courier-chained"] != before["pre-commit.courier-chained"] {
		t.Errorf("Uninstall touched the conflicting hooks")
	}
	if _, ok := after["post-commit"]; ok {
		t.Errorf("Uninstall stopped before removing courier's post-commit")
	}
}

func TestStatusWarnings(t *testing.T) {
	t.Parallel()
	t.Run("core.hooksPath set after install", func(t *testing.T) {
		r := newRepo(t)
		r.install(r.open())
		r.git("config", "core.hooksPath", ".husky")
		st, err := hooks.Status(r.open())
		if err != nil {
			t.Fatal(err)
		}
		if st.HooksDir != filepath.Join(r.dir, ".husky") || len(st.Warnings) != 1 ||
			!strings.Contains(st.Warnings[0], "core.hooksPath") || !strings.Contains(st.Warnings[0], "do not run") {
			t.Errorf("Status = %+v, want a warning that core.hooksPath bypasses courier's hooks", st)
		}
	})
	t.Run("not executable", func(t *testing.T) {
		r := newRepo(t)
		h := r.open()
		r.install(h)
		pc := filepath.Join(h.HooksDir, "pre-commit")
		if err := os.Chmod(pc, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := hooks.Status(h)
		if err != nil {
			t.Fatal(err)
		}
		if st.Hooks[0].Executable || len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "not executable") {
			t.Errorf("Status = %+v, want pre-commit not executable and a warning", st)
		}
		if lines := r.install(h); lines[0] != "made pre-commit executable" {
			t.Errorf("Install over a non-executable hook: %q", lines)
		}
	})
	t.Run("binary gone", func(t *testing.T) {
		r := newRepo(t)
		h := r.open()
		bin := filepath.Join(t.TempDir(), "courier")
		if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := hooks.Install(h, hooks.InstallOptions{Binary: bin}); err != nil {
			t.Fatal(err)
		}
		if st, _ := hooks.Status(h); len(st.Warnings) != 0 {
			t.Fatalf("warnings with the binary present: %q", st.Warnings)
		}
		os.Remove(bin)
		st, err := hooks.Status(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Warnings) != 3 || !strings.Contains(st.Warnings[0], bin) || !strings.Contains(st.Warnings[0], "no longer exists") {
			t.Errorf("Warnings = %q, want one per hook naming %s", st.Warnings, bin)
		}
	})
	t.Run("partly installed", func(t *testing.T) {
		r := newRepo(t)
		h := r.open()
		r.install(h)
		os.Remove(filepath.Join(h.HooksDir, "post-commit"))
		st, err := hooks.Status(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "post-commit") {
			t.Errorf("Warnings = %q, want one naming post-commit", st.Warnings)
		}
	})
}
