package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/config/configfile"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
)

// MailboxRel is the mailbox's place as a repository path (README.md, "Protection"): the configured
// mailbox relative to the main worktree, else the default .monoco/mailbox.
func (c *Config) MailboxRel() string {
	if c != nil && c.mailbox != "" {
		if r, err := filepath.Rel(c.root, c.mailbox); err == nil && r != "." && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
	}
	return ".monoco/mailbox"
}

// ForDrafts is what the drafts package needs to know of the configuration: the patterns, the configured
// providers with their channel aliases, and every adapter's pre-enqueue check.
func (c *Config) ForDrafts() drafts.Config {
	dc := drafts.Config{Patterns: c.Patterns(), Providers: map[string]drafts.ProviderInfo{},
		Checks: map[string]func(*mailbox.Message) error{}}
	for _, d := range c.registry {
		dc.Checks[d.Name] = d.Check
	}
	for _, p := range c.Providers.Configured() {
		dc.Providers[p.Name] = drafts.ProviderInfo{Channels: p.Sec.Channels(), Fanout: p.Fanout}
	}
	return dc
}

// Open reads the configuration of the repository whose main worktree is root: the file --config
// names (flag), else $COURIER_CONFIG, else the default (see [File]); relative names start at cwd. A
// named file that cannot be found is an error naming what named it.
func Open(flag string, getenv func(string) string, root, cwd string, registry []adapters.Descriptor) (*Config, error) {
	path, explicit := File(flag, getenv, root, cwd)
	if _, err := os.Stat(path); explicit && err != nil {
		return nil, fmt.Errorf("%s: %v", configfile.Named(flag, getenv), errors.Unwrap(err))
	}
	return Load(path, explicit, root, getenv, registry)
}

// OpenMailbox opens the configured mailbox; with write its layout is created, else a missing mailbox
// reads as an empty one. Courier's private state lives where no checkout can write it: under the git
// common dir of the command's repository (commonDir; docs/protocol.md, "Layout"), else of the
// mailbox's directory (commonDirOf, "" outside a repository); only a mailbox outside any repository
// keeps it in its own .state/.
func (c *Config) OpenMailbox(write bool, commonDir string, commonDirOf func(dir string) string) (*mailbox.Mailbox, error) {
	if commonDir == "" {
		dir := c.mailbox
		for !isDir(dir) && filepath.Dir(dir) != dir {
			dir = filepath.Dir(dir)
		}
		commonDir = commonDirOf(dir)
	}
	var o mailbox.OpenOptions
	if commonDir != "" {
		o.PrivateDir = filepath.Join(commonDir, "courier")
	}
	if write {
		return mailbox.OpenWith(c.mailbox, o)
	}
	return mailbox.New(c.mailbox, o)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// DraftDirs are the drafts directories of the patterns, as configured ({item} left in).
func (c *Config) DraftDirs() []string {
	var dirs []string
	for _, p := range c.Patterns() {
		dirs = append(dirs, p.Dir)
	}
	return dirs
}

// UnconfiguredNote is the note for a new draft that names a provider this configuration lacks (the
// file provider needs none); "" when there is nothing to say.
func (c *Config) UnconfiguredNote(provider string) string {
	if _, ok := c.ForDrafts().Providers[provider]; ok || provider == "file" {
		return ""
	}
	path := ".monoco/courier.yaml"
	if c.path != "" {
		path = relPath(c.root, c.path)
	}
	return fmt.Sprintf("note: provider %q is not configured: add providers.%s to %s, or the commit of this draft is blocked (README, \"Providers\")",
		provider, provider, path)
}

// Init writes the commented default configuration where [File] looks for it (root: the main
// worktree; relative names start at cwd), unless a file is there or one was named, and returns its
// path relative to root ("" when nothing was written).
func Init(flag string, getenv func(string) string, root, cwd string) (string, error) {
	path, explicit := File(flag, getenv, root, cwd)
	if _, err := os.Stat(path); explicit || !errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return relPath(root, path), WriteDefault(path)
}
