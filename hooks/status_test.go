package hooks_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/hooks"
)

// A hook that is not there has no Path: `courier hooks status` prints "not installed" for it, and
// "foreign hook, not executable" only for a file that exists.
func TestStatusTellsAbsentFromNotExecutable(t *testing.T) {
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
