package guard

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a real repository with a linked worktree, a mailbox and links into it.
type fixture struct {
	root, linked, home string
	g                  *Guard
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(base, "repo")
	must(t, os.MkdirAll(filepath.Join(root, ".monoco", "mailbox", "outbound", "file"), 0o700))
	must(t, os.MkdirAll(filepath.Join(root, ".monoco", "mailbox", "archive", "file"), 0o700))
	must(t, os.WriteFile(filepath.Join(root, ".monoco", "courier.yaml"), []byte("mailbox: .monoco/mailbox\n"), 0o600))
	must(t, os.MkdirAll(filepath.Join(root, "src"), 0o755))
	git(t, root, "init", "-q", "-b", "feat/FEAT-0172-guard")
	must(t, os.WriteFile(filepath.Join(root, "src", "a.go"), []byte("package a\n"), 0o644))
	git(t, root, "add", "src")
	git(t, root, "commit", "-q", "-m", "init")
	must(t, os.MkdirAll(filepath.Join(root, ".git", "courier", "ledger"), 0o700))
	must(t, os.Symlink(filepath.Join(root, ".monoco", "mailbox"), filepath.Join(root, "mb")))
	must(t, os.Symlink("../.monoco/mailbox/outbound", filepath.Join(root, "src", "out")))
	linked := filepath.Join(base, "wt")
	git(t, root, "worktree", "add", "-q", "-b", "FIX-0007-x", linked)
	home := filepath.Join(base, "home")
	must(t, os.MkdirAll(home, 0o755))
	g, err := New(Layout{
		Root: root, Mailbox: filepath.Join(root, ".monoco", "mailbox"), CommonDir: filepath.Join(root, ".git"),
		HooksDir: filepath.Join(root, ".git", "hooks"), ConfigFile: filepath.Join(root, ".monoco", "courier.yaml"),
		DraftsDir: "Issues/Features/work/FEAT-0172/drafts",
		Getenv:    func(k string) string { return map[string]string{"HOME": home, "TMPDIR": "/tmp"}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{root: root, linked: linked, home: home, g: g}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// event builds a PreToolUse event; paths and commands may use @ROOT@, @WT@ and @HOME@.
func (f *fixture) event(tool, cwd string, input map[string]string) []byte {
	r := strings.NewReplacer("@ROOT@", f.root, "@WT@", f.linked, "@HOME@", f.home)
	in := map[string]string{}
	for k, v := range input {
		in[k] = r.Replace(v)
	}
	b, _ := json.Marshal(map[string]any{"hook_event_name": "PreToolUse", "session_id": "s1", "tool_name": tool,
		"tool_input": in, "cwd": r.Replace(cwd), "permission_mode": "default"})
	return b
}

// TestCheck decides on recorded-shape tool events: every case names its expected decision.
func TestCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const deny, none = true, false
	type tc struct {
		name string
		cwd  string // "" = @ROOT@
		tool string
		in   map[string]string
		want bool
		says string // a word the reason must contain
	}
	mk := func(name string, want bool, tool string, in map[string]string) tc {
		return tc{name: name, tool: tool, in: in, want: want}
	}
	cases := []tc{
		// File tools (absolute paths).
		mk("write into outbound", deny, "Write", map[string]string{"file_path": "@ROOT@/.monoco/mailbox/outbound/file/x.md", "content": "x"}),
		mk("edit an archived message", deny, "Edit", map[string]string{"file_path": "@ROOT@/.monoco/mailbox/archive/file/y.md"}),
		mk("multiedit in dead letters", deny, "MultiEdit", map[string]string{"file_path": "@ROOT@/.monoco/mailbox/.deadletter/file/z.md"}),
		mk("notebook in mailbox", deny, "NotebookEdit", map[string]string{"notebook_path": "@ROOT@/.monoco/mailbox/n.ipynb"}),
		mk("write the seal key", deny, "Write", map[string]string{"file_path": "@ROOT@/.git/courier/seal.key"}),
		mk("write the ledger", deny, "Write", map[string]string{"file_path": "@ROOT@/.git/courier/ledger/ab"}),
		mk("write legacy state", deny, "Write", map[string]string{"file_path": "@ROOT@/.monoco/mailbox/.state/seal.key"}),
		mk("edit a hook", deny, "Edit", map[string]string{"file_path": "@ROOT@/.git/hooks/pre-commit"}),
		mk("edit the config", deny, "Edit", map[string]string{"file_path": "@ROOT@/.monoco/courier.yaml"}),
		mk("write a draft", none, "Write", map[string]string{"file_path": "@ROOT@/Issues/Features/work/FEAT-0172/drafts/a.md"}),
		mk("write source", none, "Write", map[string]string{"file_path": "@ROOT@/src/b.go"}),
		mk("write next to the config", none, "Write", map[string]string{"file_path": "@ROOT@/.monoco/notes.md"}),
		mk("write .git/info/exclude is not ours", none, "Edit", map[string]string{"file_path": "@ROOT@/.git/info/exclude"}),
		mk("edit .git/config picks the hooks", deny, "Edit", map[string]string{"file_path": "@ROOT@/.git/config"}),
		mk("write via symlinked dir", deny, "Write", map[string]string{"file_path": "@ROOT@/mb/outbound/file/x.md"}),
		mk("write via nested symlink", deny, "Write", map[string]string{"file_path": "@ROOT@/src/out/file/x.md"}),
		mk("dotdot into mailbox", deny, "Write", map[string]string{"file_path": "@ROOT@/src/../.monoco/mailbox/outbound/x.md"}),
		mk("relative path against cwd", deny, "Write", map[string]string{"file_path": ".monoco/mailbox/outbound/x.md"}),
		mk("linked worktree draft", none, "Write", map[string]string{"file_path": "@WT@/Issues/Fixes/work/FIX-0007/drafts/a.md"}),
		mk("linked worktree own .monoco is not the mailbox", none, "Write", map[string]string{"file_path": "@WT@/src/x.go"}),
		mk("read the mailbox", none, "Read", map[string]string{"file_path": "@ROOT@/.monoco/mailbox/archive/file/y.md"}),
		mk("grep the mailbox", none, "Grep", map[string]string{"pattern": "x", "path": "@ROOT@/.monoco/mailbox"}),
	}
	add := func(name string, want bool, cmd string) {
		cases = append(cases, mk(name, want, "Bash", map[string]string{"command": cmd}))
	}
	// Shell: redirections and quoting.
	add("redirect into outbound", deny, "echo hi > .monoco/mailbox/outbound/file/x.md")
	add("append redirect", deny, "echo hi >> '.monoco/mailbox/outbound/file/x.md'")
	add("double-quoted target", deny, `printf '%s' "x" > ".monoco/mailbox/archive/file/y.md"`)
	add("escaped space target", deny, `echo x > .monoco/mail\box/outbound/a\ b.md`)
	add("clobber redirect", deny, "echo x >| .git/courier/seal.key")
	add("&> redirect", deny, "make &> .git/hooks/pre-commit")
	add("fd redirect to file", deny, "echo x 2>&1 >&.monoco/courier.yaml")
	add("redirect to dev null", none, "ls .monoco/mailbox > /dev/null 2>&1")
	add("read redirect", none, "wc -l < .monoco/mailbox/archive/file/y.md")
	add("absolute redirect", deny, "echo x > @ROOT@/.monoco/mailbox/outbound/file/x.md")
	// Removal, moves, copies.
	add("rm a message", deny, "rm .monoco/mailbox/outbound/file/x.md")
	add("rm -rf the parent", deny, "rm -rf .monoco")
	add("rm -rf .git", deny, "rm -rf .git")
	add("rm glob in outbound", deny, "rm -f .monoco/mailbox/outbound/*/*.md")
	add("rm star in root spares dot dirs", none, "rm -rf *")
	add("rm dot glob", deny, "rm -rf .[a-z]*")
	add("rm elsewhere", none, "rm -rf build/ dist")
	add("mv out of the mailbox", deny, "mv .monoco/mailbox/outbound/file/x.md /tmp/")
	add("mv into the mailbox", deny, "mv /tmp/x.md .monoco/mailbox/outbound/file/")
	add("mv a file into .monoco is fine", none, "mv notes.md .monoco/")
	add("mv a dir named mailbox into .monoco", deny, "mv /tmp/mailbox .monoco/")
	add("cp into the mailbox", deny, "cp draft.md .monoco/mailbox/outbound/file/x.md")
	add("cp -t into the mailbox", deny, "cp -t .monoco/mailbox/outbound/file a.md b.md")
	add("cp out of the mailbox", none, "cp .monoco/mailbox/archive/file/y.md /tmp/y.md")
	add("tee into the mailbox", deny, "echo x | tee -a .monoco/mailbox/outbound/file/x.md")
	add("tee elsewhere", none, "echo x | tee /tmp/log")
	add("sed -i the config", deny, "sed -i 's/a/b/' .monoco/courier.yaml")
	add("sed -i.bak with -e", deny, "sed -i.bak -e 's/a/b/' .monoco/courier.yaml")
	add("sed without -i reads", none, "sed -n '1,5p' .monoco/courier.yaml")
	add("truncate the ledger", deny, "truncate -s 0 .git/courier/ledger/ab")
	add("ln into hooks", deny, "ln -sf /tmp/evil .git/hooks/pre-commit")
	add("ln to the seal key", deny, "ln .git/courier/seal.key k")
	add("chmod the hooks", deny, "chmod -x .git/hooks/pre-commit")
	add("touch the config", deny, "touch .monoco/courier.yaml")
	add("find -delete", deny, "find .monoco/mailbox -name '*.md' -delete")
	add("find -exec rm", deny, "find .monoco -type f -exec rm {} +")
	add("find reads", none, "find .monoco/mailbox -name '*.md' -print")
	add("dd of=", deny, "dd if=/dev/zero of=.git/courier/seal.key bs=1 count=32")
	add("git add -f the mailbox", deny, "git add -f .monoco/mailbox")
	add("git add -f the parent", deny, "git add --force .monoco")
	add("git add the config is fine", none, "git add .monoco/courier.yaml")
	add("git rm --cached is the fix", none, "git rm -r --cached .monoco/mailbox")
	add("git clean -fdx", deny, "git clean -fdx")
	add("git clean -fd", none, "git clean -fd")
	// Bypasses.
	add("commit --no-verify", deny, "git commit --no-verify -m 'wip'")
	add("commit -n", deny, "git commit -n -m wip")
	add("commit -anm bundle", deny, "git commit -anm wip")
	add("commit -m with n in message", none, "git commit -m 'no n here'")
	add("commit --no-ver prefix", deny, "git commit --no-ver -m x")
	add("commit message starting with -n", none, `git commit -m "-n is a flag elsewhere" --amend`)
	add("commit --message value", none, `git commit --message "-n" --no-edit`)
	add("commit -am then -n", deny, `git commit -am "x" -n`)
	add("rm bash negated class", deny, "rm -rf .[!.]*")
	add("rm negated class sparing .monoco", none, "rm -rf .[!m]*cache")
	add("plain commit", none, "git add -A && git commit -m 'feat: x'")
	add("COURIER_SKIP prefix", deny, "COURIER_SKIP=1 git commit -m x")
	add("export COURIER_SKIP", deny, "export COURIER_SKIP=1; git commit -m x")
	add("env COURIER_SKIP", deny, "env COURIER_SKIP=1 git commit -m x")
	add("COURIER_SKIP=0 is fine", none, "COURIER_SKIP=0 git commit -m x")
	add("echo COURIER_SKIP text", none, "echo 'COURIER_SKIP=1 is denied'")
	add("git -c core.hooksPath", deny, "git -c core.hooksPath=/dev/null commit -m x")
	add("git -c core.hookspath case", deny, "git -c Core.HooksPath=/tmp commit -m x")
	add("git config core.hooksPath", deny, "git config core.hooksPath /tmp/none")
	add("git config read hooksPath", none, "git config core.hooksPath")
	add("GIT_CONFIG_PARAMETERS hooksPath", deny, `GIT_CONFIG_PARAMETERS="'core.hooksPath'='/dev/null'" git commit -m x`)
	add("GIT_CONFIG_KEY_0 hooksPath", deny, "env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/x git commit -m x")
	add("GIT_CONFIG other key", none, "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0=x git commit -m x")
	add("git config other key", none, "git config user.name agent")
	add("append to .git/config", deny, "printf '[core]\\n\\thooksPath = /dev/null\\n' >> .git/config")
	add("courier hooks uninstall", deny, "courier hooks uninstall")
	add("courier guard uninstall", deny, "./bin/courier -C . guard uninstall --agent claude")
	add("courier deliver --force", deny, "courier deliver --force Issues/Features/work/FEAT-0172/drafts/a.md")
	add("courier send --force", deny, "courier send d.md --force")
	add("courier deliver", none, "courier deliver")
	add("courier queue", none, "courier queue --json")
	add("courier hooks status", none, "courier hooks status")
	// Structure: chains, subshells, nested shells, heredocs, functions, loops.
	add("&& chain", deny, "go test ./... && rm -rf .monoco/mailbox/outbound")
	add("|| chain", deny, "false || echo x > .monoco/mailbox/x")
	add("subshell", deny, "(cd .monoco && rm -rf mailbox)")
	add("cd then write", deny, "cd .monoco/mailbox && echo x > outbound/file/x.md")
	add("cd elsewhere then write", none, "cd /tmp && echo x > .monoco/mailbox/x")
	add("cd in subshell does not leak", none, "(cd /tmp) && echo x > mailbox/x")
	add("bash -c", deny, `bash -c 'echo x > .monoco/mailbox/outbound/x.md'`)
	add("sh -c nested twice", deny, `sh -c "bash -c 'rm -rf .git/courier'"`)
	add("bash -lc", deny, `bash -lc "git commit --no-verify -m x"`)
	add("eval", deny, `eval "rm -rf .monoco/mailbox"`)
	add("heredoc into mailbox", deny, "cat > .monoco/mailbox/outbound/file/x.md <<'EOF'\n---\nprovider: file\n---\nhi\nEOF")
	add("heredoc to a shell", deny, "bash <<'EOF'\nrm -rf .monoco/mailbox\nEOF")
	add("heredoc into a draft", none, "cat > Issues/Features/work/FEAT-0172/drafts/a.md <<'EOF'\nrm -rf .monoco/mailbox\nEOF")
	add("command substitution", deny, "echo $(rm .git/courier/seal.key)")
	add("function body", deny, "f() { rm -rf .monoco/mailbox; }; f")
	add("for loop items", deny, "for f in a .monoco/mailbox/outbound/file/x.md; do rm \"$f\"; done")
	add("if clause", deny, "if true; then echo x >> .monoco/courier.yaml; fi")
	add("pipeline reading the mailbox", none, "ls .monoco/mailbox/outbound | wc -l")
	add("sudo wrapper", deny, "sudo rm -rf .monoco/mailbox")
	add("xargs wrapper", deny, "echo x | xargs rm .git/courier/seal.key")
	// Variables.
	add("variable set then used", deny, "MB=.monoco/mailbox; rm -rf \"$MB\"/outbound")
	add("braced variable", deny, "D=.git/courier\necho x > ${D}/seal.key")
	add("default expansion", deny, "rm -rf ${MB:-.monoco/mailbox}")
	add("unknown prefix naming the mailbox", deny, `rm -rf "$(git rev-parse --show-toplevel)/.monoco/mailbox/outbound"`)
	add("rev-parse common dir", deny, `rm "$(git rev-parse --git-common-dir)/courier/seal.key"`)
	add("unknown variable alone", none, `rm -rf "$WORKDIR"`)
	add("unknown variable elsewhere", none, `echo x > "$OUT/report.txt"`)
	add("echo a variable", none, `echo $X "$(cat .monoco/mailbox/archive/file/y.md)"`)
	add("glob after unknown in .monoco", deny, `rm -rf .monoco/$X`)
	add("home expansion", none, "echo x > ~/notes.txt")
	add("PWD", deny, `echo x > "$PWD/.monoco/courier.yaml"`)
	// More writers and wrappers.
	add("perl -pi", deny, `perl -pi -e 's/a/b/' .monoco/courier.yaml`)
	add("perl -ne reads", none, `perl -ne 'print' .monoco/courier.yaml`)
	add("curl -o into hooks", deny, "curl -fsSL -o .git/hooks/pre-commit https://example.com/h")
	add("wget -O into the mailbox", deny, "wget -q -O .monoco/mailbox/outbound/file/x.md https://example.com/x")
	add("curl to stdout", none, "curl -fsSL https://example.com/x | head")
	add("mkdir in the mailbox", deny, "mkdir -p .monoco/mailbox/outbound/evil")
	add("install into hooks", deny, "install -m 755 myhook .git/hooks/pre-commit")
	add("rsync into the mailbox", deny, "rsync -a /tmp/msgs/ .monoco/mailbox/outbound/file/")
	add("git rm the config", deny, "git rm .monoco/courier.yaml")
	add("git add the mailbox without -f", deny, "git add .monoco/mailbox/outbound/file/x.md")
	add("git clean dry run", none, "git clean -nx")
	add("declare -x COURIER_SKIP", deny, "declare -x COURIER_SKIP=1")
	add("set then export", deny, "COURIER_SKIP=1; export COURIER_SKIP; git commit -m x")
	add("env -C into .monoco", deny, "env -C .monoco rm -rf mailbox")
	add("timeout wrapper", deny, "timeout 5 rm -rf .git/courier")
	add("pushd", deny, "pushd .git/hooks && rm -f pre-commit")
	add("unset forgets a variable", none, "D=.monoco/mailbox; unset D; rm -rf \"$D\"")
	add("rm -- operand", deny, "rm -f -- .monoco/courier.yaml")
	add("process substitution", deny, "diff <(rm -rf .monoco/mailbox) /dev/null")
	add("hard link from the ledger dir", deny, "ln .git/courier/ledger/ab /tmp/ab")
	add("ln -s the mailbox then write", deny, "ln -s .monoco x && echo y > x/mailbox/outbound/z.md")
	add("here-string to a shell", deny, "bash <<< 'rm -rf .monoco/mailbox'")
	add("coproc and time", deny, "time { echo x > .monoco/courier.yaml; }")
	add("case branch", deny, "case $1 in a) rm -rf .git/hooks;; esac")
	add("while loop", deny, "while false; do echo x >> .git/courier/seal.key; done")
	add("bash script file is not read", none, "bash ./scripts/deploy.sh")
	add("courier init", none, "courier init")
	add("courier hooks install --force", none, "courier hooks install --force")
	// Reading is never denied.
	add("cat an archived message", none, "cat .monoco/mailbox/archive/file/y.md")
	add("ls the mailbox", none, "ls -la .monoco/mailbox")
	add("git status", none, "git status && git log --oneline -5")
	add("grep the config", none, "grep -n mailbox .monoco/courier.yaml")
	// Linked worktree: the mailbox is the main worktree's.
	cases = append(cases,
		tc{name: "linked wt: relative write to its own .monoco", cwd: "@WT@", tool: "Bash", in: map[string]string{"command": "echo x > .monoco/notes"}, want: none},
		tc{name: "linked wt: write into the main mailbox", cwd: "@WT@", tool: "Bash", in: map[string]string{"command": "echo x > ../repo/.monoco/mailbox/outbound/x.md"}, want: deny},
		tc{name: "linked wt: commit --no-verify", cwd: "@WT@", tool: "Bash", in: map[string]string{"command": "git commit --no-verify"}, want: deny},
		tc{name: "linked wt: git -C main rm", cwd: "@WT@", tool: "Bash", in: map[string]string{"command": "git -C ../repo rm .monoco/courier.yaml"}, want: deny},
		tc{name: "subdir cwd: relative up", cwd: "@ROOT@/src", tool: "Bash", in: map[string]string{"command": "rm ../.monoco/courier.yaml"}, want: deny},
		tc{name: "subdir cwd: symlink out", cwd: "@ROOT@/src", tool: "Bash", in: map[string]string{"command": "touch out/file/x.md"}, want: deny},
		tc{name: "hooks reason", tool: "Write", in: map[string]string{"file_path": "@ROOT@/.git/hooks/post-commit"}, want: deny, says: "hooks"},
		tc{name: "mailbox reason names drafts", tool: "Bash", in: map[string]string{"command": "echo > .monoco/mailbox/x"}, want: deny, says: "Issues/Features/work/FEAT-0172/drafts/"},
	)
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cwd := c.cwd
			if cwd == "" {
				cwd = "@ROOT@"
			}
			ev := f.event(c.tool, cwd, c.in)
			d, err := f.g.Check(ev, "/nonexistent")
			if err != nil {
				t.Errorf("unexpected note: %v", err)
			}
			if d.Deny != c.want {
				t.Fatalf("deny = %v, want %v (reason %q)\nevent: %s", d.Deny, c.want, d.Reason, ev)
			}
			if c.want && !strings.Contains(d.Reason, c.says) {
				t.Errorf("reason %q does not mention %q", d.Reason, c.says)
			}
			if c.want && !strings.HasPrefix(d.Reason, "courier guard: ") {
				t.Errorf("reason %q", d.Reason)
			}
		})
	}
}

// BenchmarkCheck times one decision on a typical Bash event (parse and walk), without start-up or
// repository discovery.
func BenchmarkCheck(b *testing.B) {
	f := newFixture(b)
	ev := f.event("Bash", "@ROOT@", map[string]string{"command": "go test ./... 2>&1 | tail -20 && git add -A && git commit -m 'feat: guard'"})
	b.ResetTimer()
	for range b.N {
		if d, err := f.g.Check(ev, f.root); d.Deny || err != nil {
			b.Fatal(d, err)
		}
	}
}

// TestCheckNotes: input the guard cannot read gets no objection and a note, except a path it can resolve.
func TestCheckNotes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name  string
		event string
		deny  bool
		note  string
	}{
		{"not JSON", `not json`, false, "cannot read"},
		{"other hook event", `{"hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{"file_path":"/x"}}`, false, "not PreToolUse"},
		{"no tool name", `{"hook_event_name":"PreToolUse","tool_input":{}}`, false, "no tool_name"},
		{"unknown tool", `{"tool_name":"mcp__fs__write","tool_input":{"path":"/x"}}`, false, "unknown tool"},
		{"unknown writing tool into the mailbox", `{"tool_name":"mcp__filesystem__write_file","tool_input":{"path":"@ROOT@/.monoco/mailbox/outbound/x.md","content":"x"}}`, true, ""},
		{"unknown move tool into hooks", `{"tool_name":"mcp__filesystem__move_file","tool_input":{"source":"/tmp/h","destination":"@ROOT@/.git/hooks/pre-commit"}}`, true, ""},
		{"unknown reading tool on the mailbox", `{"tool_name":"mcp__filesystem__read_file","tool_input":{"path":"@ROOT@/.monoco/mailbox/outbound/x.md"}}`, false, "unknown tool"},
		{"Write without a path", `{"tool_name":"Write","tool_input":{"content":"x"}}`, false, "without a path"},
		{"Bash without a command", `{"tool_name":"Bash","tool_input":{}}`, false, "without a command"},
		{"tool_input not an object", `{"tool_name":"Bash","tool_input":"rm -rf /"}`, false, "tool_input"},
		{"unparsable command, harmless", `{"tool_name":"Bash","tool_input":{"command":"echo 'unterminated"},"cwd":"@ROOT@"}`, false, "cannot parse"},
		{"unparsable command into the mailbox", `{"tool_name":"Bash","tool_input":{"command":"echo x > .monoco/mailbox/outbound/x.md; echo 'oops"},"cwd":"@ROOT@"}`, true, ""},
		{"relative Write without cwd uses the caller's", `{"tool_name":"Write","tool_input":{"file_path":".monoco/courier.yaml"}}`, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := strings.ReplaceAll(c.event, "@ROOT@", f.root)
			d, err := f.g.Check([]byte(ev), f.root)
			if d.Deny != c.deny {
				t.Fatalf("deny = %v, want %v (%q)", d.Deny, c.deny, d.Reason)
			}
			if c.note == "" {
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.note) {
				t.Fatalf("note %v, want one mentioning %q", err, c.note)
			}
		})
	}
}

// TestProtectSubsetAndHooksPath: guard.protect narrows the places; a hooks directory inside the
// worktree (core.hooksPath) is protected where it is.
func TestProtectSubsetAndHooksPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := New(Layout{Protect: []Kind{"mailbox", "inbox"}}); err == nil || !strings.Contains(err.Error(), "inbox") {
		t.Fatalf("unknown kind: %v", err)
	}
	g, err := New(Layout{Root: f.root, Mailbox: filepath.Join(f.root, ".monoco", "mailbox"),
		HooksDir: filepath.Join(f.root, ".husky"), ConfigFile: filepath.Join(f.root, ".monoco", "courier.yaml"),
		CommonDir: filepath.Join(f.root, ".git"), Protect: []Kind{KindHooks}})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		".husky/pre-commit":                  true,
		".monoco/mailbox/outbound/file/x.md": false,
		".git/courier/seal.key":              false,
		".git/hooks/pre-commit":              false,
	} {
		if d := g.CheckPath(p, f.root, true); d.Deny != want {
			t.Errorf("%s: deny = %v, want %v", p, d.Deny, want)
		}
		if d := g.CheckPath(p, f.root, false); d.Deny {
			t.Errorf("%s: reading denied", p)
		}
	}
	if d, _ := g.CheckCommand("git commit --no-verify", f.root); !d.Deny {
		t.Error("bypass allowed with a narrowed protect list")
	}
	if got := strings.Join(g.Protected(), "\n"); got != "hooks: "+filepath.Join(f.root, ".husky")+"\nhooks: "+filepath.Join(f.root, ".git", "config") {
		t.Errorf("Protected() = %q", got)
	}
}
