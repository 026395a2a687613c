package hooks_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/hooks"
	"github.com/monoco/courier/internal/testfs"
)

// The test binary doubles as a fake courier: the installed hook scripts record its path and call
// `<test binary> hooks run <name> ...` with COURIER_HOOKS_FAKE=1 in the environment.
const fakeEnv = "COURIER_HOOKS_FAKE"

// testBinary is the path of this test binary (the fake courier the hooks record).
func testBinary(t testing.TB) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) == "1" {
		os.Exit(fakeCourier(os.Args[1:]))
	}
	home, err := os.MkdirTemp("", "courier-hooks-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
		"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
		"GIT_CEILING_DIRECTORIES", "GIT_PREFIX", "XDG_CONFIG_HOME", "COURIER_SKIP", "COURIER_TEST_LOG", hooks.HookDirEnv} {
		os.Unsetenv(k)
	}
	os.Setenv("HOME", home)
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	// Most tests wait on processes (git, hooks, the fake courier, husky and pre-commit), not on a CPU:
	// unless -parallel is given, run more of them at once than the default GOMAXPROCS.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !explicit {
		_ = f.Value.Set(strconv.Itoa(max(8, 4*runtime.GOMAXPROCS(0))))
	}
	code := m.Run()
	os.RemoveAll(home)
	if templateDir != "" {
		os.RemoveAll(templateDir)
	}
	os.Exit(code)
}

// isDraft is the Match the fake courier and the benchmarks use.
func isDraft(p string) bool {
	return strings.HasPrefix(p, "Issues/") && strings.Contains(p, "/drafts/") && strings.HasSuffix(p, ".md")
}

// actions is what the fake courier does with the files a hook reports (cmd/courier validates and
// delivers drafts).
type actions struct {
	Match    func(string) bool
	Under    string
	Validate func(files []hooks.File, stderr io.Writer) error
	Deliver  func(files []hooks.File, stdout io.Writer)
}

// fakeActions validates "a draft must contain the line `to:`" and logs to log (one line per event).
func fakeActions(log io.Writer, hook string) actions {
	return actions{
		Match: isDraft,
		Validate: func(files []hooks.File, stderr io.Writer) error {
			var bad bool
			for _, f := range files {
				fmt.Fprintf(log, "validate %s %s\n", f.Path, f.Blob)
				if !bytes.HasPrefix(f.Content, []byte("to:")) && !bytes.Contains(f.Content, []byte("\nto:")) {
					fmt.Fprintf(stderr, "%s:1: to: required field is missing\n", f.Path)
					bad = true
				}
			}
			if bad {
				return errors.New("invalid drafts")
			}
			return nil
		},
		Deliver: func(files []hooks.File, stdout io.Writer) {
			for _, f := range files {
				fmt.Fprintf(log, "deliver %s %s %s\n", hook, f.Path, f.Blob)
				fmt.Fprintf(stdout, "delivered %s\n", f.Path)
			}
		},
	}
}

// runActions is the fake courier's `hooks run`, as cmd/courier does it: hooks.Run, its notes and error
// on stderr with the "courier: " prefix, then Validate (pre-commit) or Deliver (post-*) on the files.
// It returns the exit code.
func runActions(ctx context.Context, r *hooks.Repo, name string, args []string, stdin io.Reader, stdout, stderr io.Writer,
	getenv func(string) string, a actions) int {
	res, err := hooks.Run(ctx, r, name, hooks.Options{Args: args, Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv: getenv, Match: a.Match, Under: a.Under})
	for _, n := range res.Notes {
		fmt.Fprintf(stderr, "courier: %s\n", n)
	}
	if err != nil {
		fmt.Fprintf(stderr, "courier: %v\n", err)
	}
	var chained *hooks.ChainedError
	switch {
	case errors.Is(err, hooks.ErrUnknownHook):
		return 2
	case errors.As(err, &chained):
		return chained.Code
	case err != nil && name == "pre-commit":
		return 1
	case err != nil || len(res.Files) == 0 || res.Skipped:
		return 0
	case name == "pre-commit":
		if a.Validate(res.Files, stderr) != nil {
			return 1
		}
	default:
		a.Deliver(res.Files, stdout)
	}
	return 0
}

// fakeCourier is main for the fake courier: `hooks run <name> [args]`.
func fakeCourier(args []string) int {
	if len(args) < 3 || args[0] != "hooks" || args[1] != "run" {
		fmt.Fprintf(os.Stderr, "fake courier: unexpected arguments %q\n", args)
		return 2
	}
	r, err := hooks.OpenHook(".", os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake courier:", err)
		return 1
	}
	log, err := os.OpenFile(os.Getenv("COURIER_TEST_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake courier:", err)
		return 1
	}
	defer log.Close()
	fmt.Fprintf(log, "courier %s\n", strings.Join(args[2:], " "))
	return runActions(context.Background(), r, args[2], args[3:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, fakeActions(log, args[2]))
}

// repo is a real git repository in a temporary directory.
type repo struct {
	t   testing.TB
	dir string
	log string // the fake courier's log
}

func newRepo(t testing.TB) *repo {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logDir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &repo{t: t, dir: filepath.Join(dir, "repo"), log: filepath.Join(logDir, "log")}
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := testfs.CopyTree(templateRepo(t), r.dir); err != nil {
		t.Fatalf("copy the template repository: %v", err)
	}
	return r
}

var (
	templateOnce sync.Once
	templateDir  string // removed by TestMain
	templateErr  error
)

// templateRepo returns the repository newRepo copies, made on first use as newRepo made each one
// before (`git init -q -b main`, then config): copying it gives every test the same files without
// starting four git processes per repository.
func templateRepo(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() {
		templateDir, templateErr = os.MkdirTemp("", "courier-hooks-repo-")
		if templateErr != nil {
			return
		}
		r := &repo{t: t, dir: templateDir, log: filepath.Join(templateDir, "unused.log")}
		for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"config", "user.name", "Courier Test"},
			{"config", "user.email", "test@example.com"}, {"config", "commit.gpgsign", "false"}} {
			if _, errs, err := r.run(nil, args...); err != nil {
				templateErr = fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, errs)
				return
			}
		}
	})
	if templateErr != nil {
		t.Fatal(templateErr)
	}
	return templateDir
}

// at returns a repo handle for another directory that shares r's log.
func (r *repo) at(dir string) *repo { return &repo{t: r.t, dir: dir, log: r.log} }

func (r *repo) config() {
	r.git("config", "user.name", "Courier Test")
	r.git("config", "user.email", "test@example.com")
	r.git("config", "commit.gpgsign", "false")
}

// env is the environment for git commands that may run the fake courier through hooks.
func (r *repo) env(extra ...string) []string {
	return append(append(os.Environ(), fakeEnv+"=1", "COURIER_TEST_LOG="+r.log), extra...)
}

// run runs git with extra environment and returns stdout, stderr and the error.
func (r *repo) run(extra []string, args ...string) (string, string, error) {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = r.env(extra...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// git runs git and fails the test on error; it returns trimmed stdout.
func (r *repo) git(args ...string) string {
	r.t.Helper()
	out, errs, err := r.run(nil, args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errs)
	}
	return strings.TrimSpace(out)
}

func (r *repo) write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages paths (all changes when none) and commits; it fails the test when git fails.
func (r *repo) commit(msg string, paths ...string) string {
	r.t.Helper()
	if len(paths) == 0 {
		r.git("add", "-A")
	} else {
		r.git(append([]string{"add", "--"}, paths...)...)
	}
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func (r *repo) open() *hooks.Repo {
	r.t.Helper()
	h, err := hooks.Open(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

func (r *repo) install(h *hooks.Repo) []string {
	r.t.Helper()
	lines, err := hooks.Install(h, hooks.InstallOptions{Binary: testBinary(r.t)})
	if err != nil {
		r.t.Fatal(err)
	}
	return lines
}

// logLines returns the fake courier's log (and foreign hooks', which append to it too).
func (r *repo) logLines() []string {
	r.t.Helper()
	b, err := os.ReadFile(r.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		r.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// clearLog empties the log.
func (r *repo) clearLog() {
	r.t.Helper()
	if err := os.Remove(r.log); err != nil && !errors.Is(err, os.ErrNotExist) {
		r.t.Fatal(err)
	}
}

// blob returns git's blob id for content.
func (r *repo) blob(content string) string {
	r.t.Helper()
	cmd := exec.Command("git", "hash-object", "--stdin")
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

const (
	draftA   = "Issues/Features/work/FEAT-0001/drafts/hello.md"
	draftB   = "Issues/Features/work/FEAT-0001/drafts/second.md"
	validMD  = "---\nprovider: file\nto: ops\n---\nHello.\n"
	valid2MD = "---\nprovider: file\nto: ops\n---\nHello again.\n"
	noToMD   = "---\nprovider: file\n---\nNobody to send this to.\n"
)

// fileState is what snapshot records about one directory entry.
type fileState struct {
	Mode    os.FileMode
	Content string // bytes, or the target of a symlink
	ModTime time.Time
}

// snapshot records every entry of dir.
func snapshot(t testing.TB, dir string) map[string]fileState {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fileState{}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fileState{Mode: fi.Mode(), ModTime: fi.ModTime()}
		if fi.Mode()&os.ModeSymlink != 0 {
			st.Content, err = os.Readlink(p)
		} else if fi.Mode().IsRegular() {
			var b []byte
			b, err = os.ReadFile(p)
			st.Content = string(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = st
	}
	return out
}

// count returns how many lines of s equal line.
func count(s, line string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if l == line {
			n++
		}
	}
	return n
}

// contains reports whether some element of lines equals s.
func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// index returns the position of the first line with prefix, or -1.
func index(lines []string, prefix string) int {
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return i
		}
	}
	return -1
}
