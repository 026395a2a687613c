package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/file"
)

func TestOpenAndWiring(t *testing.T) {
	root := t.TempDir()
	getenv := func(k string) string { return map[string]string{"TOKEN": "s3cret"}[k] }
	reg := []adapters.Descriptor{file.Descriptor()}
	if _, err := Open("missing.yaml", getenv, root, root, reg); err == nil || !strings.HasPrefix(err.Error(), "--config missing.yaml: ") {
		t.Fatalf("Open of a missing named file: %v", err)
	}
	path := filepath.Join(root, ".monoco", "courier.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("mailbox: box\nwatch: {api_token: \"${TOKEN}\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open("", getenv, root, root, reg)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.MailboxRel(); got != "box" {
		t.Errorf("MailboxRel = %q", got)
	}
	if got := (*Config)(nil).MailboxRel(); got != ".monoco/mailbox" {
		t.Errorf("nil MailboxRel = %q", got)
	}
	if dc := c.ForDrafts(); dc.Checks["file"] == nil || len(dc.Patterns) == 0 {
		t.Errorf("ForDrafts = %+v", dc)
	}
	dc, token, err := c.Watcher(getenv, nil)
	if err != nil || token != "s3cret" || dc.Redact("a s3cret b") == "a s3cret b" || dc.Providers["file"].Sender == nil {
		t.Errorf("Watcher = %+v, %q, %v", dc, token, err)
	}
	private := filepath.Join(root, "common")
	mb, err := c.OpenMailbox(false, "", func(string) string { return private })
	if err != nil || mb.Root != filepath.Join(root, "box") {
		t.Fatalf("OpenMailbox(read) = %v, %v", mb, err)
	}
	if _, err := os.Stat(filepath.Join(root, "box")); err == nil {
		t.Error("a read-only open created the mailbox")
	}
	if _, err := c.OpenMailbox(true, private, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "box")); err != nil {
		t.Errorf("a writing open did not create the mailbox: %v", err)
	}
}

func TestUnconfiguredNoteAndDraftDirs(t *testing.T) {
	c := Default()
	c.registry = []adapters.Descriptor{file.Descriptor()}
	if n := c.UnconfiguredNote("file"); n != "" {
		t.Errorf("file: %q", n)
	}
	if n := c.UnconfiguredNote("slack"); !strings.Contains(n, "add providers.slack to .monoco/courier.yaml") {
		t.Errorf("slack: %q", n)
	}
	if dirs := c.DraftDirs(); len(dirs) == 0 || !strings.Contains(dirs[0], "{item}") {
		t.Errorf("DraftDirs = %q", dirs)
	}
}

func TestInit(t *testing.T) {
	root := t.TempDir()
	getenv := func(string) string { return "" }
	if wrote, err := Init("", getenv, root, root); err != nil || wrote != ".monoco/courier.yaml" {
		t.Fatalf("Init = %q, %v", wrote, err)
	}
	if wrote, err := Init("", getenv, root, root); err != nil || wrote != "" {
		t.Errorf("second Init = %q, %v", wrote, err)
	}
	if wrote, err := Init("other.yaml", getenv, root, root); err != nil || wrote != "" {
		t.Errorf("Init of a named file = %q, %v", wrote, err)
	}
}
