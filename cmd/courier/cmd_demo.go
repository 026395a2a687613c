package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/hooks"
)

const demoDraft = `---
provider: file
to: demo
subject: Hello from courier
content_type: markdown
---
# Hello from courier

This message went through the whole loop: a draft committed on a work-item branch,
validated by the pre-commit hook, sealed into the outbound mailbox by the post-commit
hook, and sent by ` + "`courier watch --once`" + ` through the built-in file provider.
`

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
	say := func(format string, args ...any) { fmt.Fprintf(a.stdout, "demo: "+format+"\n", args...) }
	say("repository %s", dir)
	// The demo's git runs with its own identity and none of the caller's GIT_*/COURIER_* settings.
	gitEnv := []string{"GIT_AUTHOR_NAME=courier demo", "GIT_AUTHOR_EMAIL=demo@courier.invalid",
		"GIT_COMMITTER_NAME=courier demo", "GIT_COMMITTER_EMAIL=demo@courier.invalid"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "COURIER_") {
			gitEnv = append(gitEnv, kv)
		}
	}
	git := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir, cmd.Env = dir, gitEnv
		out, err := cmd.CombinedOutput()
		if text := strings.TrimSpace(string(out)); text != "" {
			for _, l := range strings.Split(text, "\n") {
				fmt.Fprintf(a.stdout, "  %s\n", l)
			}
		}
		if err != nil {
			return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return nil
	}
	hooksDir := filepath.Join(dir, ".git", "hooks")
	steps := [][]string{{"init", "-q"}, {"config", "commit.gpgsign", "false"}, {"config", "core.hooksPath", hooksDir},
		{"checkout", "-q", "-b", "main"}}
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
	if err := git("commit", "-q", "-m", "demo: initial commit"); err != nil {
		return err
	}
	sub := *a
	sub.dir, sub.configFlag = dir, ""
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
	say("courier init: %s", strings.Join(lines, "; "))
	r, err := hooks.Open(dir)
	if err != nil {
		return err
	}
	if _, err := hooks.Install(r, hooks.InstallOptions{Binary: exe}); err != nil {
		return err
	}
	say("hooks installed in %s", r.HooksDir)
	if err := git("checkout", "-q", "-b", "FEAT-0001-demo"); err != nil {
		return err
	}
	draft := "Issues/Features/work/FEAT-0001/drafts/hello.md"
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(draft)), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, draft), []byte(demoDraft), 0o644); err != nil {
		return err
	}
	say("committing %s on branch FEAT-0001-demo (the hooks validate and deliver it)", draft)
	if err := git("add", draft); err != nil {
		return err
	}
	if err := git("commit", "-q", "-m", "FEAT-0001: say hello"); err != nil {
		return err
	}
	ws, err := sub.workspace(true)
	if err != nil {
		return err
	}
	mb, err := ws.mailbox()
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
	say("enqueued %s", relPath(dir, queued[0].Path))
	providers, err := watchProviders(ws.cfg, buildEnv{getenv: sub.getenv, root: ws.root}, adapters.NewRedactor())
	if err != nil {
		return err
	}
	w, err := delivery.New(mb, delivery.Config{Providers: providers, Retry: delivery.DefaultRetryPolicy(),
		Logger: slog.New(slog.NewTextHandler(a.stderr, logOptions(slog.LevelWarn))), Now: a.now})
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
	say("sent through the file provider: %s", filepath.Join(ws.root, ".monoco", "outbox-local", id+".md"))
	say("archive record: %s", e.Path)
	say("inspect with: courier -C %s queue --all; courier -C %s show %s", dir, dir, id)
	return nil
}
