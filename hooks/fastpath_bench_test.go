package hooks_test

import (
	"fmt"
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
	floorHooks(b, hooked)
	runPaired(b, plain, hooked, func(p *pairRepo, i int) time.Duration {
		return p.timed("--allow-empty", "-m", fmt.Sprintf("empty %d", i))
	})
}
