package hooks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/monoco/courier/hooks"
)

// benchRepo is a packed repository with 2,000 committed files (10 of them drafts) and one staged change
// to a file that is not a draft.
func benchRepo(b *testing.B) *repo {
	b.Helper()
	r := newRepo(b)
	for i := 0; i < 10; i++ {
		r.write(fmt.Sprintf("Issues/Features/work/FEAT-%04d/drafts/note.md", i), validMD)
		r.write(fmt.Sprintf("Issues/Features/work/FEAT-%04d/README.md", i), "# item\n")
	}
	for i := 0; i < 1980; i++ {
		r.write(fmt.Sprintf("src/pkg%02d/file%04d.go", i/50, i), fmt.Sprintf("package pkg // %d\n", i))
	}
	r.commit("2,000 files")
	r.git("gc", "-q")
	r.write("src/pkg00/file0000.go", "package pkg // changed\n")
	r.git("add", "src/pkg00/file0000.go")
	return r
}

func benchActions() actions {
	a := fakeActions(io.Discard, "bench")
	return a
}

func BenchmarkRunPreCommit(b *testing.B) {
	r := benchRepo(b)
	h := r.open()
	env := func(string) string { return "" }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := runActions(context.Background(), h, "pre-commit", nil, nil, io.Discard, io.Discard, env, benchActions()); code != 0 {
			b.Fatalf("pre-commit = %d", code)
		}
	}
}

func BenchmarkRunPostCommit(b *testing.B) {
	r := benchRepo(b)
	r.git("commit", "-q", "-m", "touch a non-draft")
	h := r.open()
	env := func(string) string { return "" }
	for _, under := range []string{"", "Issues/"} {
		b.Run("under="+under, func(b *testing.B) {
			a := benchActions()
			a.Under = under
			var out bytes.Buffer
			for i := 0; i < b.N; i++ {
				if code := runActions(context.Background(), h, "post-commit", nil, nil, &out, io.Discard, env, a); code != 0 || out.Len() != 0 {
					b.Fatalf("post-commit = %d, delivered %q", code, out.String())
				}
			}
		})
	}
}

// BenchmarkOpen measures hooks.Open (one `git rev-parse`), which every hook invocation adds to Run.
func BenchmarkOpen(b *testing.B) {
	r := benchRepo(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := hooks.Open(r.dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGitCommit measures a whole `git commit` of a non-draft change without hooks and through
// courier's installed hooks (pre-commit + post-commit, the fake courier being this test binary).
func BenchmarkGitCommit(b *testing.B) {
	for _, withHooks := range []bool{false, true} {
		b.Run("hooks="+strconv.FormatBool(withHooks), func(b *testing.B) {
			r := benchRepo(b)
			if withHooks {
				r.install(r.open())
			}
			f := filepath.Join(r.dir, "src", "pkg01", "file0050.go")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := os.WriteFile(f, []byte(fmt.Sprintf("package pkg // %d\n", i)), 0o644); err != nil {
					b.Fatal(err)
				}
				r.git("add", f)
				cmd := exec.Command("git", "commit", "-q", "-m", "x")
				cmd.Dir, cmd.Env = r.dir, r.env()
				b.StartTimer()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("git commit: %v\n%s", err, out)
				}
			}
		})
	}
}
