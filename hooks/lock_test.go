package hooks_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/monoco/courier/hooks"
)

// Two `courier hooks install` at once (e.g. agents in two worktrees of one repository) must not both
// move the foreign hook aside: the second rename would put courier's hook over the preserved one.
func TestConcurrentInstallKeepsTheForeignHook(t *testing.T) {
	t.Parallel()
	for round := 0; round < 20; round++ {
		r := newRepo(t)
		h := r.open()
		for _, name := range hookNames {
			writeForeign(t, filepath.Join(h.HooksDir, name), fmt.Sprintf("#!/bin/sh\necho project %s\n", name), 0o750)
		}
		before := snapshot(t, h.HooksDir)

		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = hooks.Install(h, hooks.InstallOptions{Binary: testBinary(t)})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: Install #%d: %v", round, i, err)
			}
		}
		after := snapshot(t, h.HooksDir)
		for _, name := range hookNames {
			if diff := cmp.Diff(before[name], after[name+".courier-chained"]); diff != "" {
				t.Fatalf("round %d: the project's %s was not preserved (-orig +chained):\n%s", round, name, diff)
			}
		}
		if _, err := hooks.Uninstall(h); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, snapshot(t, h.HooksDir)); diff != "" {
			t.Fatalf("round %d: Uninstall did not restore the hooks dir (-before +after):\n%s", round, diff)
		}
	}
}
