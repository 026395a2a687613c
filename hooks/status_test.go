package hooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/hooks"
)

// A hook that is not there has no Path: `courier hooks status` prints "not installed" for it, and
// "foreign hook, not executable" only for a file that exists.
func TestStatusTellsAbsentFromNotExecutable(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	pc := filepath.Join(h.HooksDir, "pre-commit")
	writeForeign(t, pc, "#!/bin/sh\nexit 0\n", 0o644)
	st, err := hooks.Status(h)
	if err != nil {
		t.Fatal(err)
	}
	want := []hooks.HookStatus{{Name: "pre-commit", Path: pc}, {Name: "post-commit"}, {Name: "post-rewrite"}}
	if diff := cmp.Diff(want, st.Hooks); diff != "" {
		t.Errorf("Status.Hooks (-want +got):\n%s", diff)
	}
}

// Hooks baked with other pathspecs than the configuration gives, or with none (an earlier courier), are
// flagged: they may let a draft pass without courier or start it for nothing.
func TestStatusFlagsStalePathspecs(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	now := hooks.DraftPathspecs(h, []string{"Issues/Features/work/{item}/drafts"}, ".monoco/mailbox")
	if _, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t), Pathspecs: now}); err != nil {
		t.Fatal(err)
	}
	if st, err := hooks.StatusFor(h, now); err != nil || len(st.Warnings) != 0 {
		t.Fatalf("current hooks: %v, %+v", err, st)
	}
	changed := hooks.DraftPathspecs(h, []string{"docs/{item}/outbox"}, ".monoco/mailbox")
	st, err := hooks.StatusFor(h, changed)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "pre-commit, post-commit, post-rewrite") ||
		!strings.Contains(st.Warnings[0], "docs/*/outbox") || !strings.Contains(st.Warnings[0], "reinstall with `courier hooks install`") {
		t.Errorf("Warnings = %q", st.Warnings)
	}
	if st, _ := hooks.Status(h); len(st.Warnings) != 0 {
		t.Errorf("Status without pathspecs checks them: %q", st.Warnings)
	}
	r.install(h) // without pathspecs, as an earlier courier wrote them
	st, err = hooks.StatusFor(h, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "start courier on every commit") {
		t.Errorf("Warnings = %q", st.Warnings)
	}
}

// Beside pre-commit's hook, courier's runs as pre-commit.legacy: status says it is installed.
func TestStatusSeesCourierRunByPreCommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	simulatedPreCommit.install(t, r)
	r.install(h)
	st, err := hooks.Status(h)
	if err != nil {
		t.Fatal(err)
	}
	pc := filepath.Join(h.HooksDir, "pre-commit")
	want := hooks.HookStatus{Name: "pre-commit", Path: pc + ".legacy", Courier: true, Executable: true, Via: pc}
	if diff := cmp.Diff(want, st.Hooks[0]); diff != "" || len(st.Warnings) != 0 {
		t.Errorf("Status pre-commit (-want +got):\n%s\nwarnings %q", diff, st.Warnings)
	}
}

// Hooks that record another marker file than the repository's (it moved, or an earlier courier wrote
// them without one) are flagged: post-commit then asks git on every commit.
func TestStatusFlagsStaleMarker(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := r.open()
	if _, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t)}); err != nil {
		t.Fatal(err)
	}
	if st, err := hooks.Status(h); err != nil || len(st.Warnings) != 0 {
		t.Fatalf("current hooks: %v, %+v", err, st)
	}
	pc := filepath.Join(h.HooksDir, "post-commit")
	script, err := os.ReadFile(pc)
	if err != nil {
		t.Fatal(err)
	}
	line := "seen='" + hooks.SeenMarker(h) + "'\n"
	if !strings.Contains(string(script), line) {
		t.Fatalf("post-commit lacks %q", line)
	}
	for _, tc := range []struct{ with, want string }{
		{"seen='/elsewhere/.git/courier/pre-commit-seen'\n", "record the marker file /elsewhere/.git/courier/pre-commit-seen, but this repository's is " + hooks.SeenMarker(h)},
		{"", "without the marker file"},
	} {
		writeForeign(t, pc, strings.Replace(string(script), line, tc.with, 1), 0o755)
		st, err := hooks.Status(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "courier's post-commit ") || !strings.Contains(st.Warnings[0], tc.want) {
			t.Errorf("Warnings = %q, want one with %q", st.Warnings, tc.want)
		}
	}
}
