// Package demo runs courier's whole loop in a throwaway git repository: it creates the repository,
// has the caller run `courier init` and install the hooks, commits a draft on a work-item branch
// through those hooks, checks that they enqueued it, has the caller run one watcher pass and says
// where the message went. The caller wires the courier steps (Steps); this package knows git, the
// demo draft and how to read a mailbox.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/templates"
)

// Draft is where the demo draft is committed, on branch Branch.
const (
	Draft  = "Issues/Features/work/FEAT-0001/drafts/hello.md"
	Branch = "FEAT-0001-demo"
)

// ErrDirExists is returned by Run for a --dir that exists already.
var ErrDirExists = errors.New("must be a directory that does not exist yet")

// Steps are the courier steps of the demo, each run in the demo repository dir.
type Steps struct {
	Init    func(dir string) ([]string, error)            // `courier init`: what it did
	Install func(dir string) (hooksDir string, err error) // `courier hooks install`
	// Mailbox opens the repository's mailbox; root is its main worktree.
	Mailbox func(dir string) (mb *mailbox.Mailbox, root string, err error)
	// Once is one pass of `courier watch --once`: how many messages it sent, deferred, dead-lettered.
	Once func(ctx context.Context, dir string) (sent, deferred, dead int, err error)
}

// Run runs the demo in dir (created; "" for a new temporary directory), writing its progress
// to out.
func Run(ctx context.Context, dir string, out io.Writer, s Steps) error {
	say := func(format string, args ...any) { fmt.Fprintf(out, "demo: "+format+"\n", args...) }
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "courier-demo-"); err != nil {
			return err
		}
	} else if os.Mkdir(dir, 0o755) != nil {
		return fmt.Errorf("%s: %w", dir, ErrDirExists)
	}
	say("repository %s", dir)
	git := gitIn(ctx, dir, out)
	if err := initRepo(dir, git); err != nil {
		return err
	}
	lines, err := s.Init(dir)
	if err != nil {
		return err
	}
	say("courier init: %s", strings.Join(lines, "; "))
	hooksDir, err := s.Install(dir)
	if err != nil {
		return err
	}
	say("hooks installed in %s", hooksDir)
	say("committing %s on branch %s (the hooks validate and deliver it)", Draft, Branch)
	if err := commitDraft(dir, git); err != nil {
		return err
	}
	return send(ctx, dir, s, say)
}

// send checks that the post-commit hook enqueued one message, sends it with one watcher pass and says
// where it went.
func send(ctx context.Context, dir string, s Steps, say func(string, ...any)) error {
	mb, root, err := s.Mailbox(dir)
	if err != nil {
		return err
	}
	queued, err := mb.List(mailbox.Outbound)
	if err != nil {
		return err
	}
	if len(queued) != 1 {
		return fmt.Errorf("demo: the post-commit hook enqueued %d messages, want 1", len(queued))
	}
	enqueued := queued[0].Path
	if r, err := filepath.Rel(dir, enqueued); err == nil && !strings.HasPrefix(r, "..") {
		enqueued = filepath.ToSlash(r)
	}
	say("enqueued %s", enqueued)
	sent, deferred, dead, err := s.Once(ctx, dir)
	if err != nil {
		return err
	}
	if sent != 1 {
		return fmt.Errorf("demo: the watcher sent %d messages (deferred %d, dead-lettered %d), want 1", sent, deferred, dead)
	}
	id := queued[0].ID()
	e, err := mb.Find(id)
	if err != nil {
		return err
	}
	say("sent through the file provider: %s", filepath.Join(root, ".monoco", "outbox-local", id+".md"))
	say("archive record: %s", e.Path)
	say("inspect with: courier -C %s queue --all; courier -C %s show %s", dir, dir, id)
	return nil
}

// gitIn runs git in dir with its own identity and none of the caller's GIT_*/COURIER_* settings,
// indenting its output.
func gitIn(ctx context.Context, dir string, out io.Writer) func(args ...string) error {
	env := []string{"GIT_AUTHOR_NAME=courier demo", "GIT_AUTHOR_EMAIL=demo@courier.invalid",
		"GIT_COMMITTER_NAME=courier demo", "GIT_COMMITTER_EMAIL=demo@courier.invalid"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "COURIER_") {
			env = append(env, kv)
		}
	}
	return func(args ...string) error {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir, cmd.Env = dir, env
		text, err := cmd.CombinedOutput()
		if t := strings.TrimSpace(string(text)); t != "" {
			for _, l := range strings.Split(t, "\n") {
				fmt.Fprintf(out, "  %s\n", l)
			}
		}
		if err != nil {
			return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return nil
	}
}

// initRepo creates the demo repository with one commit on main.
func initRepo(dir string, git func(...string) error) error {
	steps := [][]string{{"init", "-q"}, {"config", "commit.gpgsign", "false"},
		{"config", "core.hooksPath", filepath.Join(dir, ".git", "hooks")}, {"checkout", "-q", "-b", "main"}}
	for _, s := range steps {
		if err := git(s...); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# courier demo\n"), 0o644); err != nil {
		return err
	}
	if err := git("add", "README.md"); err != nil {
		return err
	}
	return git("commit", "-q", "-m", "demo: initial commit")
}

// commitDraft commits the demo draft on a work-item branch, through the installed hooks.
func commitDraft(dir string, git func(...string) error) error {
	if err := git("checkout", "-q", "-b", Branch); err != nil {
		return err
	}
	content, err := templates.FS.ReadFile("demo/hello.md")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(Draft)), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, Draft), content, 0o644); err != nil {
		return err
	}
	if err := git("add", Draft); err != nil {
		return err
	}
	return git("commit", "-q", "-m", "FEAT-0001: say hello")
}
