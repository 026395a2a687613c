package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/hooks"
	"github.com/monoco/courier/templates"
)

func (a *app) demoCmd() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the whole loop in a throwaway repository with the built-in file provider",
		Description: "Creates a temporary git repository, runs init, installs the hooks, commits a draft on branch\n" +
			"FEAT-0001-demo (the hooks validate and enqueue it), runs the watcher once and prints where the sent\n" +
			"message and its archive record are. Needs git; no network, configuration or git identity.",
		Flags:  []cli.Flag{&cli.StringFlag{Name: "dir", Usage: "create the demo repository in `DIR` (must not exist) instead of a temporary directory"}},
		Action: func(c *cli.Context) error { return a.demo(c.Context, c.String("dir")) },
	}
}

func (a *app) demo(ctx context.Context, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "courier-demo-"); err != nil {
			return err
		}
	} else if dir = absFrom(a.dir, dir); os.Mkdir(dir, 0o755) != nil {
		return usageErrorf("--dir %s: must be a directory that does not exist yet", dir)
	}
	a.say("repository %s", dir)
	git := demoGit(ctx, dir, a.stdout)
	if err := demoRepo(dir, git); err != nil {
		return err
	}
	// The demo's courier runs in the demo repository with none of the caller's COURIER_* settings.
	sub := &app{stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, now: a.now, dir: dir}
	sub.getenv = func(k string) string {
		if strings.HasPrefix(k, "COURIER_") {
			return ""
		}
		return a.getenv(k)
	}
	lines, err := sub.initRepo()
	if err != nil {
		return err
	}
	a.say("courier init: %s", strings.Join(lines, "; "))
	r, err := hooks.Open(dir)
	if err != nil {
		return err
	}
	if _, err := hooks.Install(r, hooks.InstallOptions{Binary: exe}); err != nil {
		return err
	}
	a.say("hooks installed in %s", r.HooksDir)
	if err := a.demoCommit(dir, git); err != nil {
		return err
	}
	return sub.demoSend(ctx, a.say)
}

func (a *app) say(format string, args ...any) { fmt.Fprintf(a.stdout, "demo: "+format+"\n", args...) }

// demoGit runs git in dir with its own identity and none of the caller's GIT_*/COURIER_* settings,
// indenting its output.
func demoGit(ctx context.Context, dir string, stdout io.Writer) func(args ...string) error {
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
		out, err := cmd.CombinedOutput()
		if text := strings.TrimSpace(string(out)); text != "" {
			for _, l := range strings.Split(text, "\n") {
				fmt.Fprintf(stdout, "  %s\n", l)
			}
		}
		if err != nil {
			return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return nil
	}
}

// demoRepo creates the demo repository with one commit on main.
func demoRepo(dir string, git func(...string) error) error {
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

// demoCommit commits the demo draft on a work-item branch, through the installed hooks.
func (a *app) demoCommit(dir string, git func(...string) error) error {
	if err := git("checkout", "-q", "-b", "FEAT-0001-demo"); err != nil {
		return err
	}
	draft := "Issues/Features/work/FEAT-0001/drafts/hello.md"
	demoDraft, err := templates.FS.ReadFile("demo/hello.md")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(draft)), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, draft), demoDraft, 0o644); err != nil {
		return err
	}
	a.say("committing %s on branch FEAT-0001-demo (the hooks validate and deliver it)", draft)
	if err := git("add", draft); err != nil {
		return err
	}
	return git("commit", "-q", "-m", "FEAT-0001: say hello")
}

// demoSend checks that the hook enqueued one message, sends it with one watcher pass and says where
// it went.
func (a *app) demoSend(ctx context.Context, say func(string, ...any)) error {
	if err := a.load(true); err != nil {
		return err
	}
	mb, err := a.mailbox()
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
	say("enqueued %s", relPath(a.dir, queued[0].Path))
	logger := slog.New(slog.NewTextHandler(a.stderr, logOptions(slog.LevelWarn)))
	w, _, _, err := a.buildWatcher(logger, a.cfg.Watch.Interval.Duration, "", true)
	if err != nil {
		return err
	}
	sum, err := w.Once(ctx)
	if err != nil {
		return err
	}
	if sum.Sent != 1 {
		return fmt.Errorf("demo: the watcher sent %d messages (deferred %d, dead-lettered %d), want 1", sum.Sent, sum.Deferred, sum.DeadLettered)
	}
	id := queued[0].ID()
	e, err := mb.Find(id)
	if err != nil {
		return err
	}
	say("sent through the file provider: %s", filepath.Join(a.root, ".monoco", "outbox-local", id+".md"))
	say("archive record: %s", e.Path)
	say("inspect with: courier -C %s queue --all; courier -C %s show %s", a.dir, a.dir, id)
	return nil
}
