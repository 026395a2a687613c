package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/internal/testfs"
)

// TestMain gives every test (and every git it runs) its own HOME and no system git configuration, and
// maps the testscript commands "courier" and "courier-exit" to run(...) in a re-executed test binary.
func TestMain(m *testing.M) {
	testscript.Main(isolated{m}, map[string]func(){
		"courier": func() {
			os.Exit(run(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
		},
		// courier-exit CODE ARGS... runs `courier ARGS...` and succeeds only if it exits with CODE,
		// so that scripts can assert the exact exit code (testscript's exec only knows zero/non-zero).
		"courier-exit": func() {
			if len(os.Args) < 2 {
				fmt.Fprintln(os.Stderr, "usage: courier-exit CODE ARGS...")
				os.Exit(100)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "courier-exit: bad CODE:", err)
				os.Exit(100)
			}
			args := append([]string{"courier"}, os.Args[2:]...)
			if got := run(context.Background(), args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); got != want {
				fmt.Fprintf(os.Stderr, "courier-exit: exit %d, want %d\n", got, want)
				os.Exit(100)
			}
			os.Exit(0)
		},
	})
}

// result is one in-process invocation of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// traceRe matches what must never reach a user: a panic or a goroutine dump.
var traceRe = regexp.MustCompile(`(?m)panic:|^goroutine \d+ \[|internal error|runtime\.gopanic|\.go:\d+ \+0x`)

// courier runs the CLI in-process in dir (via -C) with env as its whole environment, and fails the
// test if any output carries a panic or a stack trace.
func courier(t *testing.T, dir string, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return courierCtx(ctx, t, dir, env, args...)
}

// runMu serialises in-process runs: urfave/cli v2 writes to package-level flags (cli.HelpFlag) while
// parsing, so run is one-per-process in production and one-at-a-time here (the race detector agrees).
var runMu sync.Mutex

func courierCtx(ctx context.Context, t *testing.T, dir string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	full := append([]string{"courier", "-C", dir}, args...)
	runMu.Lock()
	code := run(ctx, full, getenv, strings.NewReader(""), &out, &errb)
	runMu.Unlock()
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	if traceRe.MatchString(r.stdout) || traceRe.MatchString(r.stderr) {
		t.Errorf("courier %s: output carries a panic or stack trace:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// wantCode fails the test unless r exited with code.
func wantCode(t *testing.T, r result, code int, what string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\n%s", what, r.code, code, r)
	}
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// git runs git in dir and returns its trimmed stdout.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// newRepo creates a repository with one commit on main, then checks out branch (if not main).
// The repository is a copy of one made once per test process (git init, the identity in its local
// configuration, README.md committed as "initial"): the same files and objects six git processes
// would make, without starting them for every test. Only the initial commit's id is shared.
func newRepo(t *testing.T, branch string) string {
	t.Helper()
	dir := t.TempDir()
	if err := testfs.CopyTree(templateRepo(t), dir); err != nil {
		t.Fatalf("copy the template repository: %v", err)
	}
	if branch != "main" {
		git(t, dir, "checkout", "-q", "-b", branch)
	}
	return dir
}

var (
	templateOnce sync.Once
	templateDir  string // removed by isolated.Run
	templateErr  error
)

// templateRepo returns the repository newRepo copies, making it on first use.
func templateRepo(t *testing.T) string {
	t.Helper()
	templateOnce.Do(func() {
		templateDir, templateErr = os.MkdirTemp("", "courier-test-repo-")
		if templateErr != nil {
			return
		}
		for _, args := range [][]string{
			{"init", "-q", "-b", "main"},
			{"config", "user.name", "Courier Test"},
			{"config", "user.email", "test@courier.invalid"},
			{"config", "commit.gpgsign", "false"},
			{"add", "README.md"},
			{"commit", "-q", "-m", "initial"},
		} {
			if args[0] == "add" {
				if templateErr = os.WriteFile(filepath.Join(templateDir, "README.md"), []byte("# test\n"), 0o644); templateErr != nil {
					return
				}
			}
			cmd := exec.Command("git", args...)
			cmd.Dir = templateDir
			if out, err := cmd.CombinedOutput(); err != nil {
				templateErr = fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if templateErr != nil {
		t.Fatal(templateErr)
	}
	return templateDir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// draftPath is the repository-relative path of a FEAT draft.
func draftPath(item, name string) string {
	return "Issues/Features/work/" + item + "/drafts/" + name + ".md"
}

// writeDraft writes a draft of item in repo and returns its repository-relative path.
func writeDraft(t *testing.T, repo, item, name, content string) string {
	t.Helper()
	rel := draftPath(item, name)
	writeFile(t, filepath.Join(repo, filepath.FromSlash(rel)), content)
	return rel
}

// fileDraft is a valid draft for the built-in file provider.
func fileDraft(body string) string {
	return "---\nprovider: file\nto: local\n---\n" + body + "\n"
}

// messages lists the message files (*.md directly under state/provider/) of a mailbox state directory
// ("outbound", "archive", ".deadletter"), sorted.
func messages(t *testing.T, repo, state, provider string) []string {
	t.Helper()
	if provider == "" {
		provider = "*"
	}
	got, err := filepath.Glob(filepath.Join(repo, ".monoco", "mailbox", state, provider, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

// frontmatter decodes a message file's top-level frontmatter keys to their YAML nodes, so that
// scalars keep their exact spelling (a timestamp stays the string written in the file).
func frontmatter(t *testing.T, path string) map[string]*yaml.Node {
	t.Helper()
	text := readFile(t, path)
	if !strings.HasPrefix(text, "---\n") {
		t.Fatalf("%s: no frontmatter:\n%s", path, text)
	}
	end := strings.Index(text[4:], "\n---\n")
	if end < 0 {
		t.Fatalf("%s: unterminated frontmatter:\n%s", path, text)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text[4:4+end+1]), &doc); err != nil {
		t.Fatalf("%s: frontmatter: %v", path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: frontmatter is not a mapping", path)
	}
	m := map[string]*yaml.Node{}
	c := doc.Content[0].Content
	for i := 0; i+1 < len(c); i += 2 {
		m[c[i].Value] = c[i+1]
	}
	return m
}

// scalar returns the value of a top-level scalar field, "" for null or absent.
func scalar(fm map[string]*yaml.Node, key string) string {
	n := fm[key]
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// wantUTC fails unless s is an RFC 3339 timestamp in UTC spelled with Z.
func wantUTC(t *testing.T, what, s string) {
	t.Helper()
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
		t.Errorf("%s = %q, want an RFC 3339 UTC timestamp ending in Z", what, s)
	}
}

// originalHome is HOME before isolated.Run replaced it: `go build` needs the usual module and
// build caches.
var originalHome string

// isolated runs the tests with a private HOME and git identity. It is only the test runner's
// environment: the re-executed "courier" commands keep the environment their script gives them.
type isolated struct{ m *testing.M }

func (i isolated) Run() int {
	home, err := os.MkdirTemp("", "courier-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(home)
	originalHome = os.Getenv("HOME")
	gitconfig := "[user]\n\tname = Courier Test\n\temail = test@courier.invalid\n" +
		"[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for k, v := range map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Courier Test", "GIT_AUTHOR_EMAIL": "test@courier.invalid",
		"GIT_COMMITTER_NAME": "Courier Test", "GIT_COMMITTER_EMAIL": "test@courier.invalid"} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_GLOBAL", "COURIER_CONFIG", "COURIER_SKIP"} {
		os.Unsetenv(k)
	}
	// A full run needs the real binary (courierBinary): build it while the first tests run. The
	// flags are parsed here for -short and -run (a short run builds nothing, a -run run builds on
	// first use); m.Run does not parse them again.
	flag.Parse()
	if f := flag.Lookup("test.run"); !testing.Short() && (f == nil || f.Value.String() == "") {
		startBuild()
	}
	// Most tests wait on processes (git, the binary, kill -9 trials), not on a CPU: unless -parallel
	// is given, run more of them at once than the default GOMAXPROCS.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !explicit {
		_ = f.Value.Set(strconv.Itoa(max(8, 4*runtime.GOMAXPROCS(0))))
	}
	code := i.m.Run()
	if buildStarted() {
		<-buildDone
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	if templateDir != "" {
		os.RemoveAll(templateDir)
	}
	if leanDir != "" {
		os.RemoveAll(leanDir)
	}
	return code
}
