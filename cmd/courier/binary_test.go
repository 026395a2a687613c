package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The real binary is built once per test run, in the background from the start of the run (see
// isolated.Run), so that the build overlaps the tests that do not need it.
var (
	buildOnce sync.Once
	buildDone = make(chan struct{}) // closed when the build has finished
	builtBin  string
	buildErr  error
	buildDir  string // removed by isolated.Run
	building  atomic.Bool
)

// buildStarted reports whether startBuild was called.
func buildStarted() bool { return building.Load() }

// startBuild builds the courier binary, once; it returns at once and closes buildDone when the
// build is over. The binary is kept under os.TempDir()/courier-test-bin/KEY, where KEY hashes this
// test binary's bytes (which change with every source, embedded file, dependency, build tag and
// toolchain that the package's build sees) and the environment that `go build` reads: a later run
// of the same code reuses it instead of linking 22 MB again, and any change builds afresh.
func startBuild() {
	buildOnce.Do(func() {
		building.Store(true)
		go func() {
			defer close(buildDone)
			builtBin, buildErr = cachedBuild()
		}()
	})
}

// binaryCacheTTL is how long an unused cached binary is kept.
const binaryCacheTTL = 24 * time.Hour

// cachedBuild returns the cached binary for this code and environment, building it when missing
// (into a temporary name, then renamed into place, so that concurrent runs never see half a file).
// On a build error it returns go build's output as the string.
func cachedBuild() (string, error) {
	key, err := binaryCacheKey()
	if err != nil {
		return "", err
	}
	root := filepath.Join(os.TempDir(), "courier-test-bin")
	dir := filepath.Join(root, key)
	bin := filepath.Join(dir, "courier")
	if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() && st.Mode()&0o100 != 0 {
		now := time.Now()
		_ = os.Chtimes(dir, now, now) // in use: not pruned
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if buildDir, err = os.MkdirTemp(root, "build-"); err != nil {
		return "", err
	}
	tmp := filepath.Join(buildDir, "courier")
	cmd := exec.Command("go", "build", "-o", tmp, ".")
	cmd.Env = append(os.Environ(), "HOME="+originalHome)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), err
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	pruneBinaryCache(root, key)
	return bin, nil
}

// binaryCacheKey hashes this test binary, every file of the module (sources, embedded files,
// go.mod, go.sum: code that only main reaches is not in the test binary), and the environment of
// `go build`: every GO* and CGO_*
// variable, the C toolchain variables, the go and C compilers PATH finds (not PATH itself:
// testscript.Main puts a new directory of its own in front of it in every run), HOME for the go env
// file.
func binaryCacheKey() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO_") ||
			slices.Contains([]string{"CC", "CXX", "AR", "PKG_CONFIG"}, k) {
			env = append(env, kv)
		}
	}
	if err := hashModule(h); err != nil {
		return "", err
	}
	sort.Strings(env)
	fmt.Fprintf(h, "\x00%q\x00HOME=%s", env, originalHome)
	for _, tool := range []string{"go", "gcc", "cc"} {
		p, _ := exec.LookPath(tool)
		fmt.Fprintf(h, "\x00%s=%s", tool, p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// hashModule writes the path, mode and content of every file of the module around the working
// directory (but .git) to h.
func hashModule(h io.Writer) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return errors.New("no go.mod above the working directory")
		}
		root = parent
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // a worktree's .git file
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "\x00%s\x00%v\x00", rel, d.Type())
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			fmt.Fprint(h, target)
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
}

// pruneBinaryCache removes cached binaries other than key's that no run has used for binaryCacheTTL,
// and build directories left by runs that were killed.
func pruneBinaryCache(root, key string) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Name() == key {
			continue
		}
		if st, err := e.Info(); err == nil && time.Since(st.ModTime()) > binaryCacheTTL {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// courierBinary returns the real binary, built once per test run and shared by every test.
func courierBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the courier binary")
	}
	startBuild()
	<-buildDone
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, builtBin)
	}
	return builtBin
}

// runIn runs a program in dir with env added to this process's environment.
func runIn(t *testing.T, dir string, env []string, prog string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", prog, strings.Join(args, " "), err)
	}
	if traceRe.MatchString(r.stdout) || traceRe.MatchString(r.stderr) {
		t.Errorf("%s %s: output carries a panic or stack trace:\n%s", filepath.Base(prog), strings.Join(args, " "), r)
	}
	return r
}

// TestBinaryHooks commits through the real hooks of the real binary (README.md, "Git hooks"): a valid
// draft is in outbound/ when `git commit` returns; an invalid one blocks the commit.
func TestBinaryHooks(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	repo := newRepo(t, "main")
	wantCode(t, runIn(t, repo, nil, bin, "init"), 0, "courier init")
	r := runIn(t, repo, nil, bin, "hooks", "install")
	wantCode(t, r, 0, "courier hooks install")
	git(t, repo, "checkout", "-q", "-b", "FEAT-0001-x")

	rel := writeDraft(t, repo, "FEAT-0001", "hello", "---\nprovider: file\nto: local\nsubject: Hello\n---\nhello from a hook\n")
	git(t, repo, "add", rel)
	r = runIn(t, repo, nil, "git", "commit", "-q", "-m", "FEAT-0001: hello")
	wantCode(t, r, 0, "git commit of a valid draft")
	want := regexp.MustCompile(`delivered ` + regexp.QuoteMeta(rel) + ` → out_file_[0-9a-f]{12}`)
	if !want.MatchString(r.stdout + r.stderr) {
		t.Errorf("git commit output lacks `delivered %s → out_…`:\n%s", rel, r)
	}
	queued := messages(t, repo, "outbound", "file")
	if len(queued) != 1 {
		t.Fatalf("outbound/file holds %d messages right after git commit returned, want 1", len(queued))
	}
	fm := frontmatter(t, queued[0])
	var source map[string]string
	if err := fm["source"].Decode(&source); err != nil {
		t.Fatal(err)
	}
	if head := git(t, repo, "rev-parse", "HEAD"); source["commit"] != head || source["draft"] != rel {
		t.Errorf("source = %v, want commit %s and draft %s", source, head, rel)
	}

	// An invalid draft blocks the commit; HEAD and the mailbox stay as they were.
	head := git(t, repo, "rev-parse", "HEAD")
	bad := writeDraft(t, repo, "FEAT-0001", "bad", "---\nprovider: file\n---\nno recipient\n")
	git(t, repo, "add", bad)
	r = runIn(t, repo, nil, "git", "commit", "-q", "-m", "FEAT-0001: bad")
	if r.code == 0 {
		t.Fatalf("git commit of an invalid draft succeeded:\n%s", r)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(bad) + `:\d+: to: `).MatchString(r.stderr) {
		t.Errorf("the blocked commit does not report `%s:line: to: …`:\n%s", bad, r)
	}
	if got := git(t, repo, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD moved from %s to %s", head, got)
	}
	if n := len(messages(t, repo, "outbound", "")); n != 1 {
		t.Errorf("outbound holds %d messages, want 1", n)
	}

	// Committing the same content again (an amend without change) enqueues nothing new.
	git(t, repo, "reset", "-q", bad)
	r = runIn(t, repo, nil, "git", "commit", "-q", "--amend", "--no-edit")
	wantCode(t, r, 0, "git commit --amend")
	if n := len(messages(t, repo, "outbound", "")); n != 1 {
		t.Errorf("after an amend without change outbound holds %d messages, want 1", n)
	}
}

// TestBinaryDemo: `courier demo` works in an empty directory that is not a repository, with no
// configuration and no git identity (README.md, "Quick start").
func TestBinaryDemo(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	empty, home, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "TMPDIR=" + tmp,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=", "GIT_AUTHOR_EMAIL=", "GIT_COMMITTER_NAME=", "GIT_COMMITTER_EMAIL=",
		"EMAIL="}
	r := runIn(t, empty, env, bin, "demo")
	wantCode(t, r, 0, "courier demo")
	m := regexp.MustCompile(`sent through the file provider: (\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("demo does not say where it sent the message:\n%s", r)
	}
	if _, err := os.Stat(m[1]); err != nil {
		t.Errorf("the demo's sent message: %v", err)
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Errorf("demo wrote into the working directory: %v", ents)
	}
}

// TestBinaryHookSkipAndMissing: COURIER_SKIP=1 skips courier in the hooks, and a hook whose courier
// binary is gone says so and does not block the commit (README.md, "Git hooks").
func TestBinaryHookSkipAndMissing(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	repo := newRepo(t, "FEAT-0008-skip")
	// Install from a private copy of the binary, so that it can be removed afterwards.
	own := filepath.Join(t.TempDir(), "courier")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	// Parallel tests fork all the time: a child forked while the copy is open for writing would hold
	// it open until its exec, and running the copy would fail with "text file busy". No fork starts
	// while ForkLock is held for writing.
	syscall.ForkLock.Lock()
	err = os.WriteFile(own, data, 0o755)
	syscall.ForkLock.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, runIn(t, repo, nil, own, "hooks", "install"), 0, "courier hooks install")

	bad := writeDraft(t, repo, "FEAT-0008", "bad", "---\nprovider: file\n---\nno recipient\n")
	git(t, repo, "add", bad)
	head := git(t, repo, "rev-parse", "HEAD")
	r := runIn(t, repo, []string{"COURIER_SKIP=1"}, "git", "commit", "-q", "-m", "skip courier")
	wantCode(t, r, 0, "COURIER_SKIP=1 git commit of an invalid draft")
	if git(t, repo, "rev-parse", "HEAD") == head {
		t.Error("HEAD did not move")
	}
	if n := len(messages(t, repo, "outbound", "")); n != 0 {
		t.Errorf("COURIER_SKIP=1 still enqueued %d messages", n)
	}

	if err := os.Remove(own); err != nil {
		t.Fatal(err)
	}
	writeDraft(t, repo, "FEAT-0008", "bad", "---\nprovider: file\n---\nstill no recipient\n")
	git(t, repo, "add", bad)
	// testscript.Main puts a "courier" (this test binary) on PATH; the hook must not find one.
	var path []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "courier")); err != nil {
			path = append(path, d)
		}
	}
	r = runIn(t, repo, []string{"PATH=" + strings.Join(path, string(filepath.ListSeparator))}, "git", "commit", "-q", "-m", "courier is gone")
	wantCode(t, r, 0, "git commit with the courier binary missing")
	if !strings.Contains(r.stderr, "not found") || !strings.Contains(r.stderr, own) {
		t.Errorf("the hook did not say that the courier binary %s is missing:\n%s", own, r)
	}
}

// The hooks record the `courier` found on PATH when it is a symlink to this binary (a package
// manager's stable path survives upgrades that move the versioned target), else the binary itself.
func TestBinaryHooksRecordStablePath(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	linkDir := t.TempDir()
	link := filepath.Join(linkDir, "courier")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"symlink on PATH", linkDir + string(os.PathListSeparator) + os.Getenv("PATH"), link},
		{"not on PATH", os.Getenv("PATH"), bin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := t.TempDir()
			runIn(t, repo, nil, "git", "init", "-q")
			if r := runIn(t, repo, []string{"PATH=" + tc.path}, bin, "hooks", "install"); r.code != 0 {
				t.Fatalf("hooks install: %d %s", r.code, r.stderr)
			}
			script, err := os.ReadFile(filepath.Join(repo, ".git", "hooks", "pre-commit"))
			if err != nil {
				t.Fatal(err)
			}
			if want := "courier='" + tc.want + "'"; !strings.Contains(string(script), want) {
				t.Errorf("pre-commit records the wrong binary; want line %s in:\n%s", want, script)
			}
		})
	}
}

// Log lines carry RFC 3339 UTC times with Z like every timestamp courier writes (docs/protocol.md, "Message file"), in any
// local time zone and in both log formats.
func TestBinaryLogTimesUTC(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	repo := t.TempDir()
	runIn(t, repo, nil, "git", "init", "-q")
	draft := filepath.Join(repo, "Issues", "Features", "work", "FEAT-0001", "drafts", "hi.md")
	if err := os.MkdirAll(filepath.Dir(draft), 0o755); err != nil {
		t.Fatal(err)
	}
	timeRe := regexp.MustCompile(`(?m)^time=(\S+) |"time":"([^"]+)"`)
	for _, format := range []string{"text", "json"} {
		body := "---\nprovider: file\nto: local\n---\nhello " + format + "\n"
		if err := os.WriteFile(draft, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := runIn(t, repo, nil, bin, "deliver", draft); r.code != 0 {
			t.Fatalf("deliver: %s", r)
		}
		r := runIn(t, repo, []string{"TZ=Asia/Shanghai"}, bin, "watch", "--once", "--log-format", format)
		if r.code != 0 {
			t.Fatalf("watch --once: %s", r)
		}
		m := timeRe.FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("%s: no log time in %q", format, r.stderr)
		}
		if ts := m[1] + m[2]; !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`).MatchString(ts) {
			t.Errorf("%s log time %q is not RFC 3339 UTC with Z", format, ts)
		}
	}
}
