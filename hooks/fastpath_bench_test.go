package hooks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCommitFloor is the least any hooks can add: pre-commit and post-commit as `sh` scripts that
// exit at once, paired with no hooks as in BenchmarkCommitRealBinary (same repository shape), so its
// no-draft figure can be read against this one on the same loaded machine.
//
//	go test -run '^$' -bench 'CommitFloor|CommitRealBinary' -benchtime 20x ./hooks/
func BenchmarkCommitFloor(b *testing.B) {
	plain, hooked := newPairRepo(b, ""), newPairRepo(b, "")
	for _, name := range []string{"pre-commit", "post-commit"} {
		p := filepath.Join(hooked.dir, ".git", "hooks", name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	runPaired(b, plain, hooked, func(p *pairRepo, i int) time.Duration {
		return p.timed("--allow-empty", "-m", fmt.Sprintf("empty %d", i))
	})
}
