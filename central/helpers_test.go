package central

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/hooks"
	"github.com/monoco/courier/internal/testfs"
)

// world is a bare "origin" on disk, agents' clones that commit and push, and a bare central clone.
type world struct {
	t      testing.TB
	root   string
	origin string
	mb     *mailbox.Mailbox
	repo   *hooks.Repo
	logs   *syncBuffer
	c      *Central
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func gitEnv() []string {
	return append(os.Environ(), "GIT_AUTHOR_NAME=agent", "GIT_AUTHOR_EMAIL=agent@example.com",
		"GIT_COMMITTER_NAME=agent", "GIT_COMMITTER_EMAIL=agent@example.com", "GIT_CONFIG_NOSYSTEM=1",
		"HOME="+os.TempDir(), "GIT_CONFIG_GLOBAL=/dev/null")
}

func run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v in %s: %v\n%s", args, dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestMain(m *testing.M) {
	// The tests wait on git processes, not on a CPU: unless -parallel is given, run more of them at
	// once than the default GOMAXPROCS.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !explicit {
		_ = f.Value.Set(strconv.Itoa(max(8, 4*runtime.GOMAXPROCS(0))))
	}
	code := m.Run()
	if templateRoot != "" {
		os.RemoveAll(templateRoot)
	}
	os.Exit(code)
}

var (
	templateOnce sync.Once
	templateRoot string // removed by TestMain
	templateErr  error
)

// templateWorld returns the root of a world's repositories (origin.git with one commit on main, the
// "seed" clone that pushed it, the bare central.git), made on first use as newWorld made each one
// before: newWorld copies it rather than starting these git processes for every test.
func templateWorld(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() {
		// Stays set if a git command fails the test that makes the template (run calls t.Fatal).
		templateErr = errors.New("the template world was not made (see the first test that tried)")
		var err error
		if templateRoot, err = os.MkdirTemp("", "courier-central-world-"); err != nil {
			templateErr = err
			return
		}
		w := &world{t: t, root: templateRoot}
		w.origin = filepath.Join(w.root, "origin.git")
		run(t, w.root, "init", "-q", "--bare", "-b", "main", w.origin)
		seed := w.agent("seed", "main")
		if err := os.WriteFile(filepath.Join(seed, "README.md"), []byte("hello\n"), 0o644); err != nil {
			templateErr = err
			return
		}
		run(t, seed, "add", ".")
		run(t, seed, "commit", "-q", "-m", "seed")
		run(t, seed, "push", "-q", "origin", "main")
		run(t, w.root, "clone", "-q", "--bare", w.origin, filepath.Join(w.root, "central.git"))
		templateErr = nil
	})
	if templateErr != nil {
		t.Fatal(templateErr)
	}
	return templateRoot
}

// newWorld makes origin with one commit on main and a bare central clone: a copy of templateWorld,
// with the clones' remote.origin.url moved to the copy's origin.git.
func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t, root: t.TempDir(), logs: &syncBuffer{}}
	w.origin = filepath.Join(w.root, "origin.git")
	tmpl := templateWorld(t)
	if err := testfs.CopyTree(tmpl, w.root); err != nil {
		t.Fatalf("copy the template world: %v", err)
	}
	for _, cfg := range []string{filepath.Join("seed", ".git", "config"), filepath.Join("central.git", "config")} {
		p := filepath.Join(w.root, cfg)
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		moved := strings.ReplaceAll(string(text), filepath.Join(tmpl, "origin.git"), w.origin)
		if moved == string(text) {
			t.Fatalf("%s does not name the template's origin.git:\n%s", cfg, text)
		}
		if err := os.WriteFile(p, []byte(moved), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	central := filepath.Join(w.root, "central.git")
	var err error
	if w.repo, err = hooks.Open(central); err != nil {
		t.Fatal(err)
	}
	if w.mb, err = mailbox.Open(filepath.Join(w.root, "mailbox")); err != nil {
		t.Fatal(err)
	}
	w.c = w.central()
	return w
}

// central builds a Central on the world's clone and mailbox (a restart builds another).
func (w *world) central() *Central {
	w.t.Helper()
	v, err := drafts.NewValidator(drafts.Config{})
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := New(Config{Repo: w.repo, Remote: "origin", Mailbox: w.mb, Validator: v,
		Logger: slog.New(slog.NewTextHandler(w.logs, nil))})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// agent clones origin into name, on branch (created from main when new).
func (w *world) agent(name, branch string) string {
	w.t.Helper()
	dir := filepath.Join(w.root, name)
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	run(w.t, w.root, "clone", "-q", w.origin, dir)
	if branch != "main" {
		if out := run(w.t, dir, "branch", "--list", "-r", "origin/"+branch); out != "" {
			run(w.t, dir, "checkout", "-q", branch)
		} else {
			run(w.t, dir, "checkout", "-q", "-b", branch)
		}
	}
	return dir
}

// commit writes files (path → content) in dir and commits them; it returns the commit id.
func commit(t testing.TB, dir string, files map[string]string, msg string) string {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", msg)
	return run(t, dir, "rev-parse", "HEAD")
}

func push(t testing.TB, dir string, args ...string) {
	t.Helper()
	run(t, dir, append([]string{"push", "-q", "origin"}, args...)...)
}

func draft(body string) string {
	return "---\nprovider: file\nto: ops\n---\n" + body + "\n"
}

func draftPath(item, name string) string {
	return "Issues/Features/work/" + item + "/drafts/" + name
}

// fetch runs one Fetch and fails the test on an error.
func (w *world) fetch() Result {
	w.t.Helper()
	res, err := w.c.Fetch(context.Background())
	if err != nil {
		w.t.Fatalf("fetch: %v\nlogs:\n%s", err, w.logs)
	}
	return res
}

// queued returns the messages in outbound/, in created_at order.
func (w *world) queued() []*mailbox.Message {
	w.t.Helper()
	ents, err := w.mb.List(mailbox.Outbound)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []*mailbox.Message
	for _, e := range ents {
		data, err := os.ReadFile(e.Path)
		if err != nil {
			w.t.Fatal(err)
		}
		m, err := mailbox.Parse(data)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt.Time) })
	return out
}

// bodies summarises messages as "draft@commit[:7] body" lines.
func bodies(ms []*mailbox.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s %s@%.7s %s", m.Source.Branch, m.Source.Draft, m.Source.Commit, strings.TrimSpace(m.Body)))
	}
	return out
}

var hooksOpen = hooks.Open
