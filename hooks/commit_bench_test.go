package hooks_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The benchmarks in this file measure what a user pays on every commit: the installed courier binary
// (built from ./cmd/courier as install.sh builds it), hooks from `courier hooks install`, and real
// `git commit` in a 2,000-file repository. Each iteration commits once in a repository without
// courier's hooks, once in an identical one with them and once in one whose hooks exit at once, in
// rotating order; the reported "added-ms" is the median of the paired differences, "floor-ms" the same for
// the hooks that do nothing.
//
//	go test -run '^$' -bench CommitRealBinary -benchtime 20x ./hooks/

// realBinary builds courier into a temporary directory once per benchmark.
func realBinary(b *testing.B) string {
	b.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		b.Skipf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(b.TempDir(), "courier")
	build := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-ldflags", "-s -w", "-o", bin, "./cmd/courier")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// pairRepo is a 2,000-file repository on a work-item branch.
type pairRepo struct {
	b   *testing.B
	dir string
	env []string
}

func newPairRepo(b *testing.B, bin string) *pairRepo {
	b.Helper()
	dir := b.TempDir()
	p := &pairRepo{b: b, dir: dir, env: append(os.Environ(),
		"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.com",
		"GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.com",
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))}
	p.run("git", "init", "-q", "-b", "feat/FEAT-0172-bench")
	for i := 0; i < 2000; i++ {
		name := filepath.Join(dir, "src", fmt.Sprintf("pkg%02d", i/50), fmt.Sprintf("file%04d.go", i))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(fmt.Sprintf("package pkg // %d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	p.run("git", "add", "-A")
	p.run("git", "commit", "-q", "-m", "2,000 files")
	p.run("git", "gc", "-q")
	return p
}

func (p *pairRepo) run(name string, args ...string) {
	p.b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		p.b.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// timed runs git commit and returns how long it took.
func (p *pairRepo) timed(args ...string) time.Duration {
	p.b.Helper()
	cmd := exec.Command("git", append([]string{"commit", "-q"}, args...)...)
	cmd.Dir, cmd.Env = p.dir, p.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		p.b.Fatalf("git commit: %v\n%s", err, out)
	}
	return d
}

const benchDraft = "---\nprovider: file\nto: ops\n---\nBuild %d is green.\n"

// benchPaired runs step in both repositories b.N times and reports the median added milliseconds, and
// beside them those of hooks that exit at once (floor-ms, as BenchmarkCommitFloor), interleaved in the
// same loop so that both figures see the same load.
func benchPaired(b *testing.B, step func(p *pairRepo, i int) time.Duration) {
	bin := realBinary(b)
	plain, hooked, floor := newPairRepo(b, bin), newPairRepo(b, bin), newPairRepo(b, bin)
	hooked.run(bin, "init")
	hooked.run(bin, "hooks", "install")
	plain.run(bin, "init") // same mailbox and exclude entries; no hooks
	floor.run(bin, "init")
	floorHooks(b, floor)
	runPaired(b, plain, hooked, step, floor)
}

// floorHooks installs pre-commit and post-commit hooks that exit at once.
func floorHooks(b *testing.B, p *pairRepo) {
	for _, name := range []string{"pre-commit", "post-commit"} {
		if err := os.WriteFile(filepath.Join(p.dir, ".git", "hooks", name), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			b.Fatal(err)
		}
	}
}

// runPaired times step in plain and hooked (and floor, when given) b.N times, rotating which goes first,
// and reports the median added milliseconds (the median of the differences with plain in each round), the
// median without hooks, and the floor's median added milliseconds.
func runPaired(b *testing.B, plain, hooked *pairRepo, step func(p *pairRepo, i int) time.Duration, floor ...*pairRepo) {
	repos := append([]*pairRepo{plain, hooked}, floor...)
	// One warm-up commit each, so page cache and git's own files are equally warm.
	for _, p := range repos {
		step(p, -1)
	}
	added := make([][]float64, len(repos))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := make([]time.Duration, len(repos))
		for j := range repos {
			k := (i + j) % len(repos)
			d[k] = step(repos[k], i)
		}
		for k := range repos {
			added[k] = append(added[k], float64(d[k]-d[0])/float64(time.Millisecond))
		}
		added[0][i] = float64(d[0]) / float64(time.Millisecond) // without hooks
	}
	b.StopTimer()
	b.ReportMetric(median(added[1]), "added-ms")
	b.ReportMetric(median(added[0]), "without-ms")
	if len(floor) > 0 {
		b.ReportMetric(median(added[2]), "floor-ms")
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkCommitRealBinary: a commit that touches no draft, and one that adds one draft (validated,
// stamped, sealed and enqueued with fsync by the post-commit hook).
func BenchmarkCommitRealBinary(b *testing.B) {
	b.Run("no-draft", func(b *testing.B) {
		benchPaired(b, func(p *pairRepo, i int) time.Duration {
			return p.timed("--allow-empty", "-m", fmt.Sprintf("empty %d", i))
		})
	})
	b.Run("one-draft", func(b *testing.B) {
		benchPaired(b, func(p *pairRepo, i int) time.Duration {
			rel := filepath.Join("Issues", "Features", "work", "FEAT-0172", "drafts", fmt.Sprintf("n%05d.md", i+1))
			name := filepath.Join(p.dir, rel)
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(fmt.Sprintf(benchDraft, i)), 0o644); err != nil {
				b.Fatal(err)
			}
			p.run("git", "add", rel)
			return p.timed("-m", fmt.Sprintf("draft %d", i))
		})
	})
}

// BenchmarkVersionRealBinary is the start-up cost of the installed binary (`courier version`).
func BenchmarkVersionRealBinary(b *testing.B) {
	bin := realBinary(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
			b.Fatalf("courier version: %v\n%s", err, out)
		}
	}
}
