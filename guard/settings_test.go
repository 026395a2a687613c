package guard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{"MB": "/srv/mail"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name, yaml  string // yaml "-": no file
		mailbox     string // relative to root unless absolute
		protect     []Kind
		drafts, err string // drafts dir of branch feat/FEAT-9-x; err: a substring of the error
	}{
		{name: "no file", yaml: "-", mailbox: ".monoco/mailbox", drafts: "Issues/Features/work/FEAT-9/drafts"},
		{name: "empty file", yaml: "# nothing\n", mailbox: ".monoco/mailbox", drafts: "Issues/Features/work/FEAT-9/drafts"},
		{name: "everything", yaml: "mailbox: ${MB}/box\nguard:\n  protect: [mailbox, config]\ndrafts:\n  patterns:\n" +
			"    - branch: '(?i)(?P<item>feat-\\d+)'\n      dir: work/{item}\nproviders:\n  whatever: {x: 1}\nwatch: {interval: 5s}\n",
			mailbox: "/srv/mail/box", protect: []Kind{KindMailbox, KindConfig}, drafts: "work/FEAT-9"},
		{name: "relative mailbox", yaml: "mailbox: var/mb\n", mailbox: "var/mb", drafts: "Issues/Features/work/FEAT-9/drafts"},
		{name: "broken YAML", yaml: "mailbox: [\n", err: ".monoco/courier.yaml: yaml: line"},
		{name: "unknown top-level key", yaml: "mailbx: x\n", err: `unknown key "mailbx"`},
		{name: "unknown guard key", yaml: "guard:\n  protects: [config]\n", err: "field protects not found"},
		{name: "wrong type", yaml: "guard:\n  protect: config\n", err: "cannot unmarshal"},
		{name: "unset variable", yaml: "mailbox: ${NOPE}/x\n", err: "mailbox: environment variable NOPE is not set"},
		{name: "bad pattern", yaml: "drafts:\n  patterns:\n    - {branch: 'x', dir: 'd/{item}'}\n", err: "drafts.patterns[0]: branch needs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			if c.yaml != "-" {
				must(t, os.MkdirAll(filepath.Join(root, ".monoco"), 0o755))
				must(t, os.WriteFile(filepath.Join(root, ".monoco", "courier.yaml"), []byte(c.yaml), 0o644))
			}
			s, err := ReadSettings("", getenv, root, root)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.mailbox
			if !filepath.IsAbs(want) {
				want = filepath.Join(root, want)
			}
			if s.Mailbox != want || strings.Join(kinds(s.Protect), ",") != strings.Join(kinds(c.protect), ",") ||
				s.DraftsDir("feat/FEAT-9-x") != c.drafts || s.DraftsDir("main") != "" {
				t.Errorf("got mailbox %q protect %v drafts %q; want %q %v %q", s.Mailbox, s.Protect, s.DraftsDir("feat/FEAT-9-x"), want, c.protect, c.drafts)
			}
		})
	}
}

func kinds(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func TestReadSettingsExplicitFile(t *testing.T) {
	t.Parallel()
	root, cwd := t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(cwd, "c.yaml"), []byte("mailbox: /mb\n"), 0o644))
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if s, err := ReadSettings("c.yaml", getenv, root, cwd); err != nil || s.Mailbox != "/mb" {
		t.Errorf("--config c.yaml: %+v, %v", s, err)
	}
	if _, err := ReadSettings("none.yaml", getenv, root, cwd); err == nil || err.Error() != "--config none.yaml: no such file or directory" {
		t.Errorf("--config none.yaml: %v", err)
	}
	env["COURIER_CONFIG"] = "c.yaml"
	if s, err := ReadSettings("", getenv, root, cwd); err != nil || s.Mailbox != "/mb" {
		t.Errorf("$COURIER_CONFIG: %+v, %v", s, err)
	}
	env["COURIER_CONFIG"] = "gone.yaml"
	if _, err := ReadSettings("", getenv, root, cwd); err == nil || err.Error() != "$COURIER_CONFIG gone.yaml: no such file or directory" {
		t.Errorf("$COURIER_CONFIG gone.yaml: %v", err)
	}
}

// TestMainCommand runs the lean binary's command in process: flags, usage errors, and one decision each way.
func TestMainCommand(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, ".git"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, ".git", "HEAD"), []byte("ref: refs/heads/fix/FIX-7\n"), 0o644))
	getenv := func(string) string { return "" }
	run := func(stdin string, args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := Main(args, "v1", getenv, strings.NewReader(stdin), &o, &e)
		return code, o.String(), e.String()
	}
	cases := []struct {
		args           []string
		stdin          string
		code           int
		stdout, stderr string // substrings; "" must be empty
	}{
		{args: []string{"-C", root, "--path", ".monoco/mailbox/outbound/x.md", "--write"}, code: 2,
			stderr: "courier guard: `.monoco/mailbox/outbound/x.md` is in the mailbox, which only courier writes. To send a message, write a draft in `Issues/Fixes/work/FIX-7/drafts/`"},
		{args: []string{"-C", root, "--path", ".monoco/mailbox/outbound/x.md"}},
		{args: []string{"-C", root, "--json"}, stdin: `{"tool_name":"Write","tool_input":{"file_path":".git/courier/seal.key"}}`,
			stdout: `"permissionDecision":"deny"`},
		{args: []string{"-C", root}, stdin: "not json", stderr: "courier: guard: no objection: cannot read the tool call"},
		{args: []string{"-C", filepath.Join(root, "nope")}, code: 2, stderr: "courier: -C " + filepath.Join(root, "nope") + ": not a directory"},
		{args: []string{"--frob"}, code: 2, stderr: "courier: flag provided but not defined: -frob"},
		{args: []string{"check"}, code: 2, stderr: "takes no arguments"},
		{args: []string{"--version"}, stdout: "courier-guard v1 ("},
		{args: []string{"--help"}, stdout: "-write"},
	}
	for _, c := range cases {
		code, stdout, stderr := run(c.stdin, c.args...)
		if code != c.code || !hasOrEmpty(stdout, c.stdout) || !hasOrEmpty(stderr, c.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
}

func hasOrEmpty(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}
