package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/monoco/courier/templates"
)

// TestWatchConfigErrors: a provider section that cannot be built stops `courier watch` with exit 78 and
// one line naming the section, and never prints a secret's value, even when the value is what is wrong.
// (A running watcher needs every configured provider; `watch --once` only those with queued messages,
// see watch_needs.txtar.)
func TestWatchConfigErrors(t *testing.T) {
	t.Parallel()
	const secret = "hunter2:s3cret!"
	tests := []struct {
		name   string
		config string
		want   string // substring of the one stderr line
	}{
		{name: "unset variable", config: "providers:\n  lark: {webhook: \"https://lark.example.invalid/open-apis/bot/v2/hook/${P}\", secret: \"${LARK_UNSET}\"}\n",
			want: "LARK_UNSET"},
		{name: "smtp url", config: "providers:\n  email:\n    smtp: \"smtp://user:${P}@host:notaport\"\n    from: \"bot@example.com\"\n",
			want: "providers.email"},
		{name: "secret in a bad value", config: "providers:\n  email:\n    smtp: \"smtp://user:${P}@127.0.0.1:2525\"\n    from: \"bad from ${P}\"\n",
			want: "providers.email"},
		{name: "http beyond loopback", config: "providers:\n  dingtalk:\n    webhook: \"http://example.com/robot/send?access_token=${P}\"\n",
			want: "https"},
		{name: "bad webhook secret", config: "providers:\n  webhook: {url: \"https://example.com/h\", secret: \"whsec_${P}\"}\n",
			want: "providers.webhook"},
		{name: "slack webhook is the secret", config: "providers:\n  slack: {webhook: \"${P}\"}\n",
			want: "providers.slack"},
		{name: "unset api token", config: "watch:\n  api_token: \"${TOKEN_UNSET}\"\n",
			want: "TOKEN_UNSET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := t.TempDir()
			git(t, repo, "init", "-q")
			writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"), tt.config)
			r := courier(t, repo, map[string]string{"P": secret}, "watch")
			wantCode(t, r, 78, "watch")
			l := lines(r.stderr)
			if len(l) != 1 || !strings.Contains(l[0], tt.want) {
				t.Errorf("stderr = %q, want one line containing %q", r.stderr, tt.want)
			}
			for _, leak := range []string{secret, "hunter2", "s3cret"} {
				if strings.Contains(r.stdout+r.stderr, leak) {
					t.Errorf("output leaks the secret (%q):\n%s", leak, r)
				}
			}
			// Commands that need no secrets still work with this configuration.
			wantCode(t, courier(t, repo, nil, "queue"), 0, "queue")
		})
	}
}

// TestConfigShapeErrors: a list or scalar where a section belongs is exit 78 with one
// `file:line: message` line in the configuration's terms, never a Go type name.
func TestConfigShapeErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, config, want string }{
		{"list at the top", "- a\n- b\n", ".monoco/courier.yaml:1: must be a mapping of keys, not a list"},
		{"scalar section", "mailbox: x\nwatch: 5\n", ".monoco/courier.yaml:2: must be a mapping of keys, not a number"},
		{"string provider section", "providers:\n  file: here\n", ".monoco/courier.yaml:2: must be a mapping of keys, not a string"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repo := t.TempDir()
			git(t, repo, "init", "-q")
			writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"), tt.config)
			r := courier(t, repo, nil, "queue")
			wantCode(t, r, 78, "queue")
			if l := lines(r.stderr); len(l) != 1 || l[0] != "courier: "+tt.want {
				t.Errorf("stderr = %q, want the one line %q", r.stderr, "courier: "+tt.want)
			}
		})
	}
}

// TestInitTemplateProviders: each provider example that `courier init` writes, commented out in
// .monoco/courier.yaml, builds once uncommented with its variables set to well-formed values (the
// template and the README's provider sections agree on every value's form, e.g. whsec_<base64>).
func TestInitTemplateProviders(t *testing.T) {
	t.Parallel()
	data, err := templates.FS.ReadFile("config/courier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keyLine := regexp.MustCompile(`^  # (\s*[a-z_]+:)`)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		out = append(out, keyLine.ReplaceAllString(l, "  $1"))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "courier.yaml")
	writeFile(t, path, strings.Join(out, "\n"))
	getenv := func(name string) string {
		if strings.HasSuffix(name, "_URL") {
			return "https://hooks.example.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnop"
		}
		return "c2VjcmV0LXNlY3JldC1zZWNyZXQ=" // base64, as whsec_ secrets need
	}
	cfg, err := loadConfig(path, true, dir, getenv)
	if err != nil {
		t.Fatalf("uncommented template: %v\n%s", err, strings.Join(out, "\n"))
	}
	dc, _, err := cfg.Watcher(getenv, nil)
	provs := dc.Providers
	if err != nil {
		t.Fatalf("uncommented template: %v", err)
	}
	for _, name := range []string{"dingtalk", "lark", "wecom", "slack", "teams", "email", "webhook", "file"} {
		if _, ok := provs[name]; !ok {
			t.Errorf("provider %s: not in the template's examples", name)
		}
	}
}
