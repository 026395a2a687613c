package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
)

// contractFlags are the flags README.md's Commands table promises for each command.
var contractFlags = map[string][]string{
	"init":          nil,
	"hooks install": {"force"},
	"validate":      nil,
	"deliver":       {"dry-run", "force", "item", "json"},
	"send":          {"dry-run", "provider"},
	"watch":         {"once", "interval", "listen", "log-format", "print-service"},
	"queue":         {"json", "provider", "state", "all"},
	"retry":         {"dead", "provider"},
	"show":          nil,
	"draft new":     {"template", "provider", "to"},
	"schema":        nil,
	"demo":          nil,
	"version":       nil,
}

// leafCommands lists every visible command path of the CLI with its flags.
func leafCommands() map[string][]cli.Flag {
	a := &app{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard, now: time.Now}
	out := map[string][]cli.Flag{}
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden {
				continue
			}
			name := strings.TrimSpace(prefix + " " + c.Name)
			if len(c.Subcommands) > 0 {
				walk(name, c.Subcommands)
				continue
			}
			out[name] = c.Flags
		}
	}
	walk("", a.cli().Commands)
	return out
}

func flagSpelling(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// TestHelp: `courier CMD --help` (and -h, and with the flag after a positional) exits 0 and mentions
// every flag of the command, including each flag the contract promises.
func TestHelp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	leaves := leafCommands()
	for name := range contractFlags {
		if _, ok := leaves[name]; !ok {
			t.Errorf("command %q of README.md's Commands table is missing", name)
		}
	}
	for name, flags := range leaves {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			want := map[string]bool{}
			for _, f := range flags {
				for _, n := range f.Names() {
					want[flagSpelling(n)] = true
				}
			}
			for _, n := range contractFlags[name] {
				want["--"+n] = true
			}
			for _, h := range []string{"--help", "-h"} {
				args := append(strings.Fields(name), h)
				r := courier(t, dir, nil, args...)
				wantCode(t, r, 0, strings.Join(args, " "))
				for f := range want {
					if !strings.Contains(r.stdout, f) {
						t.Errorf("courier %s: help does not mention %s:\n%s", strings.Join(args, " "), f, r.stdout)
					}
				}
				for _, l := range lines(r.stdout) {
					if strings.Count(l, "(default:") > 1 {
						t.Errorf("courier %s: a flag states its default twice: %q", strings.Join(args, " "), strings.TrimSpace(l))
					}
				}
			}
		})
	}
}

// TestReorder pins the argument rewriting that lets flags follow positionals (README.md, "Commands").
func TestReorder(t *testing.T) {
	t.Parallel()
	a := &app{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard, now: time.Now}
	tests := []struct {
		name    string
		args    string
		want    string
		wantErr string // substring of the usage error
	}{
		{name: "flag after positional", args: "send d.md --dry-run", want: "send --dry-run -- d.md"},
		{name: "value flag after positional", args: "send d.md --provider file", want: "send --provider file -- d.md"},
		{name: "value flag with =", args: "send d.md --provider=file", want: "send --provider=file -- d.md"},
		{name: "global after command", args: "queue --json -C dir", want: "-C dir queue --json"},
		{name: "global config last", args: "deliver a.md b.md --config c.yaml", want: "--config c.yaml deliver -- a.md b.md"},
		{name: "subcommand flag", args: "hooks install --force", want: "hooks install --force"},
		{name: "subcommand flag before sub", args: "draft new n --to x", want: "draft new --to x -- n"},
		{name: "double dash keeps flags positional", args: "validate -- --weird.md", want: "validate -- --weird.md"},
		{name: "help after positional", args: "send d.md --help", want: "send --help -- d.md"},
		{name: "no args", args: "", want: ""},
		{name: "unknown flag", args: "deliver --bogus d.md", wantErr: "unknown flag --bogus"},
		{name: "unknown flag after positional", args: "send d.md --dry-runn", wantErr: "unknown flag --dry-runn"},
		{name: "flag of another command", args: "queue --dry-run", wantErr: "unknown flag --dry-run"},
		{name: "unknown global", args: "--nope queue", wantErr: "unknown flag --nope"},
		{name: "unknown command", args: "frobnicate", wantErr: `unknown command "frobnicate"`},
		{name: "missing value", args: "queue --state", wantErr: "needs a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reorder(a.cli(), append([]string{"courier"}, strings.Fields(tt.args)...))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("reorder(%q) = %q, %v; want error %q", tt.args, got, err, tt.wantErr)
				}
				if report(err, io.Discard) != exitUsage {
					t.Errorf("reorder(%q): error is not a usage error (exit 2)", tt.args)
				}
				return
			}
			if err != nil {
				t.Fatalf("reorder(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(append([]string{"courier"}, strings.Fields(tt.want)...), got); diff != "" {
				t.Errorf("reorder(%q) (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestWatchListenNeedsToken: listening beyond loopback without watch.api_token exits 78 at once,
// before anything is bound; loopback is fine.
func TestWatchListenNeedsToken(t *testing.T) {
	repo := newRepo(t, "main")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	r := courierCtx(ctx, t, repo, nil, "watch", "--listen", "0.0.0.0:0")
	wantCode(t, r, 78, "watch --listen 0.0.0.0:0 without a token")
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %s: want an immediate exit", time.Since(start))
	}
	if n := len(lines(r.stderr)); n != 1 || !strings.Contains(r.stderr, "api_token") {
		t.Errorf("stderr = %q, want one line naming watch.api_token", r.stderr)
	}

	// With a token it may listen anywhere: prove it started by cancelling it (exit 0 on shutdown).
	writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"), "watch:\n  api_token: \"${API_TOKEN}\"\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel2()
	r = courierCtx(ctx2, t, repo, map[string]string{"API_TOKEN": "t0ken-abc"}, "watch", "--listen", addr)
	wantCode(t, r, 0, "watch --listen with a token, stopped by its context")
	if strings.Contains(r.stdout+r.stderr, "t0ken-abc") {
		t.Errorf("the API token was printed:\n%s", r)
	}
}
